//! Compatibility configs: stored per subject, per context or globally, resolved as Confluent
//! does: the subject's own, then its context's (`:.ctx:`; the global one for the default
//! context), then `:.__GLOBAL:`'s, then the server's [`Defaults`](super::Defaults)
//! (confluent-api.md §5.6).

use std::sync::LazyLock;

use compat::{CompatibilityLevel, Metadata, Policy, RuleSet};

use super::contract;
use super::write::Operation;
use super::{check_subject, context, Registry, State};
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
    pub alias: Patch<String>,
    pub compatibility: Patch<CompatibilityLevel>,
    pub normalize: Patch<bool>,
    pub compatibility_policy: Patch<Policy>,
    pub validate_fields: Patch<bool>,
    pub validate_rules: Patch<bool>,
    pub compatibility_group: Patch<String>,
    pub default_metadata: Patch<Metadata>,
    pub override_metadata: Patch<Metadata>,
    pub default_rule_set: Patch<RuleSet>,
    pub override_rule_set: Patch<RuleSet>,
}

impl ConfigUpdate {
    /// Confluent validates both rule sets of a config update (42210).
    fn validate(&self) -> Result<(), ApiError> {
        for patch in [&self.default_rule_set, &self.override_rule_set] {
            if let Patch::Set(rules) = patch {
                contract::validate(rules)?;
            }
        }
        Ok(())
    }

    fn apply(self, config: &mut ConfigValue) {
        self.alias.apply(&mut config.alias);
        self.compatibility.apply(&mut config.compatibility_level);
        self.normalize.apply(&mut config.normalize);
        self.compatibility_policy
            .apply(&mut config.compatibility_policy);
        self.validate_fields.apply(&mut config.validate_fields);
        self.validate_rules.apply(&mut config.validate_rules);
        self.compatibility_group
            .apply(&mut config.compatibility_group);
        self.default_metadata.apply(&mut config.default_metadata);
        self.override_metadata.apply(&mut config.override_metadata);
        self.default_rule_set.apply(&mut config.default_rule_set);
        self.override_rule_set.apply(&mut config.override_rule_set);
    }
}

/// Whether a config changes the contract of what is registered (Confluent's
/// `hasDefaultsOrOverrides`).
pub(crate) fn has_defaults_or_overrides(config: &ConfigValue) -> bool {
    config.default_metadata.is_some()
        || config.override_metadata.is_some()
        || config.default_rule_set.is_some()
        || config.override_rule_set.is_some()
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
    /// As [`Registry::config_in_scope`] reads it (the subject's own setting, else the global
    /// one's), without copying the config: every registration asks.
    pub(crate) fn effective_normalize(&self, state: &State, subject: &str) -> bool {
        let normalize = match state.configs.get(&Some(subject.to_string())) {
            Some(own) => own
                .normalize
                .or_else(|| state.configs.get(&None).and_then(|g| g.normalize)),
            None => self
                .stored_config(state, Some(subject))
                .and_then(|c| c.normalize),
        };
        normalize == Some(true)
    }

    /// The subject `subject` stands for: its own config's non-empty `alias` (Confluent reads
    /// an alias from the subject-level config only, and follows it once).
    /// An unqualified alias names a subject of the subject's own context.
    pub fn alias_of(&self, subject: &str) -> Option<String> {
        self.snapshot()
            .configs
            .get(&Some(subject.to_string()))
            .and_then(|c| c.alias.as_deref())
            .filter(|a| !a.is_empty())
            .map(|a| context::qualify_reference(context::context_of(subject), a).into_owned())
    }

    /// The stored config that applies to `subject` (`None`: the global one): its own, else its
    /// context's (the global one's for the default context), else `:.__GLOBAL:`'s (Confluent's
    /// `InMemoryCache.config`).
    pub(crate) fn stored_config<'a>(
        &self,
        state: &'a State,
        subject: Option<&str>,
    ) -> Option<&'a ConfigValue> {
        fallback(&state.configs, subject)
    }

    /// The config registration applies to `subject` (Confluent's `getConfigInScope`): the
    /// global one when the subject has none; else the subject's, whose unset `normalize`,
    /// `validateFields`, `validateRules`, `compatibilityPolicy` and `compatibilityGroup` come
    /// from the global one, while its defaults and overrides stand alone.
    pub(crate) fn config_in_scope(&self, state: &State, subject: &str) -> ConfigValue {
        let global = state.configs.get(&None);
        let Some(own) = state.configs.get(&Some(subject.to_string())) else {
            return self
                .stored_config(state, Some(subject))
                .cloned()
                .unwrap_or_default();
        };
        let mut config = own.clone();
        if let Some(global) = global {
            config.normalize = config.normalize.or(global.normalize);
            config.validate_fields = config.validate_fields.or(global.validate_fields);
            config.validate_rules = config.validate_rules.or(global.validate_rules);
            config.compatibility_policy =
                config.compatibility_policy.or(global.compatibility_policy);
            config.compatibility_group = config
                .compatibility_group
                .or_else(|| global.compatibility_group.clone());
        }
        config
    }

    /// The first config found (see [`Registry::stored_config`]), else the server default.
    fn effective_config(&self, state: &State, subject: Option<&str>) -> ConfigValue {
        let found = self
            .stored_config(state, subject)
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
                None if default_to_global => Ok(self.effective_config(&state, Some(s))),
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
        update.validate()?;
        if let Some(s) = subject {
            check_subject(s, true)?;
        }
        let write = self.begin(Operation::UpdateConfig, subject).await?;
        write.permit()?;
        let key = subject.map(str::to_string);
        let mut config = write.state().configs.get(&key).cloned().unwrap_or_default();
        update.apply(&mut config);
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

/// The value the settings `stored` (configs or modes, `None` the global one) give `subject`:
/// its own, else its context's (the global one for the default context), else the `.__GLOBAL`
/// context's, as Confluent's `InMemoryCache` falls back.
pub(crate) fn fallback<'a, V>(
    stored: &'a imbl::HashMap<Option<String>, V>,
    subject: Option<&str>,
) -> Option<&'a V>
where
    V: Clone,
{
    // The `.__GLOBAL` key, made once: registrations of known schemas come through here.
    static GLOBAL: LazyLock<Option<String>> =
        LazyLock::new(|| Some(context::prefix(context::GLOBAL)));
    let Some(subject) = subject else {
        return stored.get(&None).or_else(|| stored.get(&*GLOBAL));
    };
    if let Some(own) = stored.get(&Some(subject.to_string())) {
        return Some(own);
    }
    let ctx = context::context_of(subject);
    let scope = (ctx != context::DEFAULT).then(|| context::prefix(ctx));
    stored.get(&scope).or_else(|| stored.get(&*GLOBAL))
}
