//! Data contracts (confluent-api.md §5.9): the `metadata` and `ruleSet` a version carries, how a
//! registration's contract is merged from the request, the previous version and the config's
//! defaults and overrides, how `confluent:version` is kept, and when a stored version's contract
//! matches a request's. Everything here is in-memory work on small values: no parse, no I/O,
//! so the register fast path can use it.

use std::collections::{BTreeMap, HashSet};

use compat::{Metadata, Rule, RuleSet};

use super::state::StoredSchema;
use crate::error::ApiError;
use crate::storage::ConfigValue;

/// The metadata property Confluent keeps equal to the version number, once it is set.
pub const CONFLUENT_VERSION: &str = "confluent:version";

/// Longest rule name Confluent accepts, in UTF-16 units.
const NAME_MAX_LENGTH: usize = 256;

const KINDS: [&str; 2] = ["TRANSFORM", "CONDITION"];
const MIGRATION_MODES: [&str; 3] = ["UPGRADE", "DOWNGRADE", "UPDOWN"];
const DOMAIN_MODES: [&str; 3] = ["WRITE", "READ", "WRITEREAD"];
const ENVIRONMENTS: [&str; 5] = ["ALL", "CLIENT", "GATEWAY", "SERVER", "NONE"];

/// A version's data contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contract {
    pub metadata: Option<Metadata>,
    pub rule_set: Option<RuleSet>,
}

/// A rule set as Confluent reads it: kinds and modes must be names it knows (else the body
/// does not map, a 400 as for any other mistyped field), then defaults and sorted sets filled in.
pub fn canonical_rule_set(rule_set: RuleSet) -> Result<RuleSet, ApiError> {
    if let Some(at) = rule_set
        .enable_at
        .as_deref()
        .filter(|a| !ENVIRONMENTS.contains(a))
    {
        return Err(ApiError::BadRequest(format!(
            "Invalid JSON body: unknown enableAt '{at}', expected one of ALL, CLIENT, GATEWAY, SERVER, NONE"
        )));
    }
    for rule in rule_set.rules() {
        let known_mode = |m: &str| MIGRATION_MODES.contains(&m) || DOMAIN_MODES.contains(&m);
        if let Some(kind) = rule.kind.as_deref().filter(|k| !KINDS.contains(k)) {
            return Err(ApiError::BadRequest(format!(
                "Invalid JSON body: unknown rule kind '{kind}', expected TRANSFORM or CONDITION"
            )));
        }
        if let Some(mode) = rule.mode.as_deref().filter(|m| !known_mode(m)) {
            return Err(ApiError::BadRequest(format!(
                "Invalid JSON body: unknown rule mode '{mode}', expected one of UPGRADE, DOWNGRADE, UPDOWN, WRITE, READ, WRITEREAD"
            )));
        }
    }
    Ok(rule_set.canonical())
}

/// Confluent's `RuleSet.validate`, with its messages: names unique across the phases and well
/// formed, a type given, modes that fit the phase, paired actions only for two-way modes.
pub fn validate(rule_set: &RuleSet) -> Result<(), ApiError> {
    let mut names: HashSet<Option<&str>> = HashSet::new();
    let phases = [
        (
            &rule_set.migration_rules,
            &MIGRATION_MODES[..],
            "Migration rules can only be UPGRADE, DOWNGRADE, UPDOWN",
        ),
        (
            &rule_set.domain_rules,
            &DOMAIN_MODES[..],
            "Domain rules can only be WRITE, READ, WRITEREAD",
        ),
        (
            &rule_set.encoding_rules,
            &DOMAIN_MODES[..],
            "Encoding rules can only be WRITE, READ, WRITEREAD",
        ),
    ];
    for (rules, modes, wrong_mode) in phases {
        for rule in rules {
            let name = rule.name.as_deref();
            if !names.insert(name) {
                return Err(invalid(format!(
                    "Found rule with duplicate name '{}'",
                    name.unwrap_or("null")
                )));
            }
            validate_rule(rule)?;
            if !rule.mode.as_deref().is_some_and(|m| modes.contains(&m)) {
                return Err(invalid(wrong_mode.to_string()));
            }
        }
    }
    Ok(())
}

fn validate_rule(rule: &Rule) -> Result<(), ApiError> {
    let name = rule
        .name
        .as_deref()
        .ok_or_else(|| invalid("Missing rule name".into()))?;
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(invalid("Empty rule name".into())),
        Some(_) if name.encode_utf16().count() > NAME_MAX_LENGTH => {
            return Err(invalid("Rule name too long".into()))
        }
        Some(first) if !(first.is_alphabetic() || first == '_') => {
            return Err(invalid(format!(
                "Illegal initial character in rule name: {name}"
            )))
        }
        Some(_) => {}
    }
    if !chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
        return Err(invalid(format!("Illegal character in rule name: {name}")));
    }
    if rule.rule_type.is_none() {
        return Err(invalid("Missing rule type".into()));
    }
    let two_way = matches!(rule.mode.as_deref(), None | Some("WRITEREAD" | "UPDOWN"));
    let paired = |action: &Option<String>| action.as_deref().is_some_and(|a| a.contains(','));
    if !two_way && (paired(&rule.on_success) || paired(&rule.on_failure)) {
        return Err(invalid(
            "Multiple actions only valid with WRITEREAD and UPDOWN".into(),
        ));
    }
    Ok(())
}

fn invalid(message: String) -> ApiError {
    ApiError::InvalidRuleSet(message)
}

/// The contract a registration stores (Confluent's `maybeSetMetadataRuleSet`): the request's
/// own metadata and rules, else the previous version's, under the config's defaults and
/// overrides. With `new_version`, `confluent:version` is set to it when the request names a
/// version or the merged metadata already carries the property.
pub fn effective(
    config: &ConfigValue,
    request: &Contract,
    explicit_version: bool,
    previous: Option<&StoredSchema>,
    new_version: Option<i32>,
) -> Contract {
    let specific_metadata = request
        .metadata
        .as_ref()
        .or_else(|| previous.and_then(|p| p.metadata()));
    let specific_rules = request
        .rule_set
        .as_ref()
        .or_else(|| previous.and_then(|p| p.rule_set()));
    let mut metadata = merge_metadata(
        merge_metadata(config.default_metadata.as_ref(), specific_metadata).as_ref(),
        config.override_metadata.as_ref(),
    );
    let rule_set = merge_rule_sets(
        merge_rule_sets(config.default_rule_set.as_ref(), specific_rules).as_ref(),
        config.override_rule_set.as_ref(),
    );
    if let Some(version) = new_version {
        if explicit_version || confluent_version(metadata.as_ref()).is_some() {
            let mut m = metadata.unwrap_or_default();
            m.properties
                .insert(CONFLUENT_VERSION.to_string(), version.to_string());
            metadata = Some(m);
        }
    }
    Contract { metadata, rule_set }
}

/// Confluent's `Metadata.mergeMetadata`: each part of `new` replaces or extends `old`'s, an
/// empty part leaves the other side's as it is.
pub fn merge_metadata(old: Option<&Metadata>, new: Option<&Metadata>) -> Option<Metadata> {
    match (old, new) {
        (None, new) => new.cloned(),
        (old, None) => old.cloned(),
        (Some(old), Some(new)) => Some(
            Metadata {
                tags: merge_maps(&old.tags, &new.tags),
                properties: merge_maps(&old.properties, &new.properties),
                sensitive: old
                    .sensitive
                    .iter()
                    .chain(&new.sensitive)
                    .cloned()
                    .collect(),
            }
            .canonical(),
        ),
    }
}

fn merge_maps<T: Clone>(
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
) -> BTreeMap<String, T> {
    let mut merged = old.clone();
    merged.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged
}

/// Confluent's `RuleSet.mergeRuleSets`: per phase, `new`'s rules replace `old`'s of the same
/// name and follow the rest; `enableAt` from `new` when it has one.
pub fn merge_rule_sets(old: Option<&RuleSet>, new: Option<&RuleSet>) -> Option<RuleSet> {
    match (old, new) {
        (None, new) => new.cloned(),
        (old, None) => old.cloned(),
        (Some(old), Some(new)) => Some(RuleSet {
            migration_rules: merge_rules(&old.migration_rules, &new.migration_rules),
            domain_rules: merge_rules(&old.domain_rules, &new.domain_rules),
            encoding_rules: merge_rules(&old.encoding_rules, &new.encoding_rules),
            enable_at: new.enable_at.clone().or_else(|| old.enable_at.clone()),
        }),
    }
}

fn merge_rules(old: &[Rule], new: &[Rule]) -> Vec<Rule> {
    let replaced: HashSet<&Option<String>> = new.iter().map(|r| &r.name).collect();
    old.iter()
        .filter(|r| !replaced.contains(&r.name))
        .chain(new)
        .cloned()
        .collect()
}

/// `confluent:version` as a number, when it is one.
fn confluent_version(metadata: Option<&Metadata>) -> Option<i32> {
    metadata?.properties.get(CONFLUENT_VERSION)?.parse().ok()
}

fn without_confluent_version(metadata: Option<&Metadata>) -> Metadata {
    let mut m = metadata.cloned().unwrap_or_default();
    m.properties.remove(CONFLUENT_VERSION);
    m
}

/// Whether a request carrying `contract` finds the stored version `version` of `schema`
/// (Confluent's `canLookupIgnoringVersion`): the same contract, or one that differs only in
/// `confluent:version` being absent on one side (and, when the request has it, naming this
/// very version).
pub fn matches(contract: &Contract, schema: &StoredSchema, version: i32) -> bool {
    if contract.rule_set.as_ref() != schema.rule_set() {
        return false;
    }
    let asked = confluent_version(contract.metadata.as_ref());
    let stored = confluent_version(schema.metadata());
    match (asked, stored) {
        (None, Some(_)) => {
            contract.metadata.clone().unwrap_or_default()
                == without_confluent_version(schema.metadata())
        }
        (Some(asked), None) => {
            asked == version
                && without_confluent_version(contract.metadata.as_ref())
                    == schema.metadata().cloned().unwrap_or_default()
        }
        _ => contract.metadata.as_ref() == schema.metadata(),
    }
}

/// The value of the config's `compatibilityGroup` property in `metadata`, when the config has
/// a group (`None` outside: every version is in one group).
pub fn group_value<'a>(config: &ConfigValue, metadata: Option<&'a Metadata>) -> Option<&'a str> {
    let group = config.compatibility_group.as_deref()?;
    metadata?.properties.get(group).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, mode: &str) -> Rule {
        Rule {
            name: Some(name.into()),
            kind: Some("CONDITION".into()),
            mode: Some(mode.into()),
            rule_type: Some("CEL".into()),
            ..Rule::default()
        }
    }

    fn props(pairs: &[(&str, &str)]) -> Metadata {
        Metadata {
            properties: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Metadata::default()
        }
    }

    fn message(result: Result<(), ApiError>) -> String {
        match result {
            Err(ApiError::InvalidRuleSet(m)) => m,
            other => panic!("expected 42210, got {other:?}"),
        }
    }

    #[test]
    fn validation_gives_confluents_messages() {
        let set = |domain: Vec<Rule>| RuleSet {
            domain_rules: domain,
            ..RuleSet::default()
        };
        assert_eq!(
            message(validate(&set(vec![rule("a", "WRITE"), rule("a", "READ")]))),
            "Found rule with duplicate name 'a'"
        );
        assert_eq!(
            message(validate(&set(vec![rule("9a", "WRITE")]))),
            "Illegal initial character in rule name: 9a"
        );
        assert_eq!(
            message(validate(&set(vec![rule("a b", "WRITE")]))),
            "Illegal character in rule name: a b"
        );
        assert_eq!(
            message(validate(&set(vec![rule("a", "UPGRADE")]))),
            "Domain rules can only be WRITE, READ, WRITEREAD"
        );
        let mut untyped = rule("a", "WRITE");
        untyped.rule_type = None;
        assert_eq!(message(validate(&set(vec![untyped]))), "Missing rule type");
        let mut paired = rule("a", "WRITE");
        paired.on_failure = Some("ERROR,NONE".into());
        assert_eq!(
            message(validate(&set(vec![paired]))),
            "Multiple actions only valid with WRITEREAD and UPDOWN"
        );
        let long = "a".repeat(257);
        assert_eq!(
            message(validate(&set(vec![rule(&long, "WRITE")]))),
            "Rule name too long"
        );
        assert!(validate(&set(vec![rule("_ok-1", "WRITEREAD")])).is_ok());
    }

    #[test]
    fn merges_follow_confluent() {
        let merged = merge_metadata(
            Some(&props(&[("a", "1"), ("b", "1")])),
            Some(&props(&[("b", "2")])),
        );
        assert_eq!(merged, Some(props(&[("a", "1"), ("b", "2")])));
        let old = RuleSet {
            domain_rules: vec![rule("x", "WRITE"), rule("y", "WRITE")],
            ..RuleSet::default()
        };
        let mut x2 = rule("x", "READ");
        x2.expr = Some("true".into());
        let new = RuleSet {
            domain_rules: vec![x2.clone()],
            ..RuleSet::default()
        };
        let merged = merge_rule_sets(Some(&old), Some(&new)).unwrap();
        assert_eq!(merged.domain_rules, vec![rule("y", "WRITE"), x2]);
    }

    #[test]
    fn confluent_version_is_set_when_asked_for_or_already_there() {
        let config = ConfigValue::default();
        let none = Contract::default();
        assert_eq!(effective(&config, &none, false, None, Some(3)), none);
        let versioned = effective(&config, &none, true, None, Some(3));
        assert_eq!(versioned.metadata, Some(props(&[(CONFLUENT_VERSION, "3")])));
        let carried = Contract {
            metadata: Some(props(&[(CONFLUENT_VERSION, "3"), ("o", "x")])),
            rule_set: None,
        };
        assert_eq!(
            effective(&config, &carried, false, None, Some(4)).metadata,
            Some(props(&[(CONFLUENT_VERSION, "4"), ("o", "x")]))
        );
    }
}
