//! Domain rules: the `domainRules` of a schema's data contract, run by serializers on each
//! message before it is written (rules whose mode is `WRITE` or `WRITEREAD`, in order) and by
//! deserializers after it is read (`READ` or `WRITEREAD`, in reverse order), as Confluent's
//! clients run them.
//!
//! - `CEL` evaluates the rule's expression with the message bound to `message`; `CEL_FIELD`
//!   evaluates it for each primitive field whose tags meet the rule's (all fields when the rule
//!   has none), with `value`, `fullName`, `name`, `typeName`, `tags` and the containing
//!   `message`. An expression may start with a guard and `;`: when the guard is not true, the
//!   rule passes (a `CONDITION`) or changes nothing (a `TRANSFORM`).
//! - A `CONDITION` fails when the expression is `false`; a `TRANSFORM`'s result replaces the
//!   message (`CEL`) or the field (`CEL_FIELD`).
//! - A rule that fails, cannot be evaluated, or whose type no executor here runs (`ENCRYPT`,
//!   ...) runs its `onFailure` action (default `ERROR`); one that passes, its `onSuccess`
//!   (default `NONE`). For `WRITEREAD` rules an action `A,B` is `A` when writing and `B` when
//!   reading. `NONE` goes on with the message; `ERROR` and `DLQ` refuse it ([`Error::Rule`]).
//!
//! Expressions are compiled once per schema, when its writer or reader is built; a message whose
//! schema has no rules for its direction pays one length check.

mod avro;
mod fields;
mod functions;
mod json;
mod protobuf;
mod values;

use std::sync::{Arc, LazyLock};

use cel::{Context, Env, IdedExpr, Program, Value as CelValue};

pub(crate) use avro::AvroFormat;
use fields::{FieldInfo, Visit};
pub(crate) use json::JsonFormat;
pub(crate) use protobuf::ProtobufFormat;

use crate::types::{Metadata, Rule, Schema};
use crate::{Error, Result};

/// Which way a message is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Write,
    Read,
}

/// A format's messages as the rules see them: records, objects and messages as CEL maps.
pub(crate) trait Format {
    type Message;
    /// The message as CEL's `message`.
    fn to_cel(&self, message: &Self::Message) -> std::result::Result<CelValue, String>;
    /// The message a `TRANSFORM` made (its CEL result) of `original`, as a message of the
    /// schema.
    fn message_of(
        &self,
        value: CelValue,
        original: &Self::Message,
    ) -> std::result::Result<Self::Message, String>;
    /// Calls `visit` on each primitive field of `message` (as [`Format::to_cel`] made it),
    /// walking it with the schema; a visit's `Some` replaces the field's value.
    fn walk_fields(
        &self,
        message: &mut CelValue,
        visit: &mut Visit<'_>,
    ) -> std::result::Result<(), String>;
}

/// CEL with the standard library, the strings extension and Confluent's string checks, as
/// Confluent's clients have it.
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    env.add_extension(cel::extensions::strings)
        .expect("the strings extension declares once");
    env.add_extension(functions::extension)
        .expect("Confluent's checks declare once");
    Arc::new(env)
});

/// An expression, compiled once; a text that does not compile fails its rule when it runs.
struct Expr {
    text: String,
    /// Boxed: a program is hundreds of bytes, and most rules hold one or two.
    program: std::result::Result<Box<Program>, String>,
}

/// How deep an expression may nest: evaluation recurses once per level, on the caller's
/// stack, and a deeper one could overflow it (as a cel-go parser's limit guards cel-go).
const MAX_DEPTH: usize = 40;

/// The stack compiling gets: the parser recurses deeply (about 30 KiB a level in a debug
/// build, up to its own limit of 96 levels), so it runs on a thread of its own. Reserved, not
/// committed: only what the parser touches is used.
const COMPILE_STACK: usize = 64 << 20;

impl Expr {
    fn compile(text: &str) -> Expr {
        let compiled = std::thread::scope(|scope| {
            let compiling = std::thread::Builder::new()
                .stack_size(COMPILE_STACK)
                .spawn_scoped(scope, || ENV.compile(text).map_err(|e| e.to_string()))
                .map_err(|e| format!("no thread to compile on: {e}"))?;
            compiling
                .join()
                .map_err(|_| "the CEL parser failed".to_string())?
        });
        let program = compiled.and_then(|program| {
            if depth(program.expression(), 0) > MAX_DEPTH {
                return Err(format!("it nests deeper than {MAX_DEPTH} levels"));
            }
            Ok(Box::new(program))
        });
        Expr {
            text: text.to_string(),
            program,
        }
    }

    fn evaluate(&self, context: &Context<'_, '_>) -> std::result::Result<CelValue, String> {
        let text = &self.text;
        let program = self
            .program
            .as_ref()
            .map_err(|e| format!("CEL expr {text} does not compile: {e}"))?;
        program
            .execute(context)
            .map_err(|e| format!("CEL expr {text} failed: {e}"))
    }
}

/// The depth of `expr` below `at`, counted no further than past [`MAX_DEPTH`] (so that this
/// walk stays shallow too).
fn depth(expr: &IdedExpr, at: usize) -> usize {
    use cel::common::ast::{EntryExpr, Expr as Node};
    if at > MAX_DEPTH {
        return at;
    }
    let below = |e: &IdedExpr| depth(e, at + 1);
    let children: Vec<&IdedExpr> = match &expr.expr {
        Node::Call(call) => call.target.iter().map(|t| &**t).chain(&call.args).collect(),
        Node::Comprehension(c) => vec![
            &c.iter_range,
            &c.accu_init,
            &c.loop_cond,
            &c.loop_step,
            &c.result,
        ],
        Node::List(list) => list.elements.iter().collect(),
        Node::Map(map) => entries(&map.entries),
        Node::Struct(s) => entries(&s.entries),
        Node::Select(select) => vec![&*select.operand],
        Node::Unspecified | Node::Ident(_) | Node::Literal(_) => Vec::new(),
    };
    fn entries(entries: &[cel::common::ast::IdedEntryExpr]) -> Vec<&IdedExpr> {
        entries
            .iter()
            .flat_map(|e| match &e.expr {
                EntryExpr::StructField(f) => vec![&f.value],
                EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
            })
            .collect()
    }
    children.into_iter().map(below).max().unwrap_or(at)
}

/// How a rule runs.
enum Executor {
    /// `CEL` (`field`: `CEL_FIELD`): the guard before a `;`, if any, and the expression.
    Cel {
        field: bool,
        guard: Option<Expr>,
        body: Expr,
    },
    /// A type no executor here runs: the rule fails.
    Unknown,
}

struct Prepared {
    rule: Rule,
    executor: Executor,
    /// A field `TRANSFORM` an earlier rule with the same tags, kind, mode and type already
    /// does: it changes nothing, as in Confluent's clients (an encrypted field is not encrypted
    /// twice).
    shadowed: bool,
}

/// The domain rules a schema's messages go through one way, compiled.
pub(crate) struct DomainRules {
    direction: Direction,
    rules: Vec<Prepared>,
    /// The schema's metadata tags, by field path pattern (what `CEL_FIELD` rules match).
    tags: Vec<(String, Vec<String>)>,
}

impl DomainRules {
    /// The rules of `schema` that run in `direction`, in the order they run.
    pub(crate) fn new(schema: &Schema, direction: Direction) -> DomainRules {
        let all: &[Rule] = schema
            .rule_set
            .as_ref()
            .map_or(&[], |set| &set.domain_rules);
        let mut rules: Vec<Prepared> = all
            .iter()
            .enumerate()
            .filter(|(_, rule)| !rule.disabled && runs(rule, direction))
            .map(|(i, rule)| Prepared {
                rule: rule.clone(),
                executor: executor(rule),
                shadowed: all[..i]
                    .iter()
                    .any(|earlier| same_field_transform(rule, earlier)),
            })
            .collect();
        if direction == Direction::Read {
            rules.reverse();
        }
        let tags = schema
            .metadata
            .iter()
            .flat_map(|m: &Metadata| &m.tags)
            .map(|(path, tags)| (path.clone(), tags.clone()))
            .collect();
        DomainRules {
            direction,
            rules,
            tags,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// `message` after every rule but the one it already failed (`failed`: read from a
    /// dead-letter topic): refused, passed on, or transformed.
    pub(crate) fn apply<F: Format>(
        &self,
        format: &F,
        mut message: F::Message,
        failed: Option<&str>,
    ) -> Result<F::Message> {
        for prepared in &self.rules {
            let rule = &prepared.rule;
            if failed.is_some() && rule.name.as_deref() == failed {
                continue;
            }
            let condition = match rule.kind.as_deref() {
                Some("CONDITION") => true,
                Some("TRANSFORM") => false,
                kind => {
                    return Err(Error::Schema(format!(
                        "rule {} has kind {}: CONDITION or TRANSFORM expected",
                        name_of(&rule.name),
                        kind.unwrap_or("(none)")
                    )))
                }
            };
            let outcome = match &prepared.executor {
                Executor::Unknown => Outcome::Failed(format!(
                    "Could not find rule executor of type {}",
                    name_of(&rule.rule_type)
                )),
                Executor::Cel { field: true, .. } if prepared.shadowed => Outcome::Passed(None),
                Executor::Cel { field, guard, body } => {
                    let run = Run {
                        rules: self,
                        rule,
                        condition,
                        guard: guard.as_ref(),
                        body,
                    };
                    match format.to_cel(&message) {
                        Err(reason) => Outcome::Failed(reason),
                        Ok(bound) if *field => run.on_fields(format, bound),
                        Ok(bound) => run.on_message(bound),
                    }
                }
            };
            match outcome {
                Outcome::Passed(None) => self.act(rule, None)?,
                Outcome::Passed(Some(transformed)) => {
                    match format.message_of(transformed, &message) {
                        Ok(transformed) => {
                            message = transformed;
                            self.act(rule, None)?;
                        }
                        Err(reason) => self.act(rule, Some(reason))?,
                    }
                }
                Outcome::Failed(reason) => self.act(rule, Some(reason))?,
            }
        }
        Ok(message)
    }

    /// Runs the action for how `rule` ended (`failure`: why it failed): `onFailure` (default
    /// `ERROR`) or `onSuccess` (default `NONE`). Only `NONE` lets the message through, as in
    /// Confluent's Java client, whose `ERROR` and `DLQ` actions throw whichever way the rule
    /// ended.
    fn act(&self, rule: &Rule, failure: Option<String>) -> Result<()> {
        let (configured, default) = match failure {
            Some(_) => (&rule.on_failure, "ERROR"),
            None => (&rule.on_success, "NONE"),
        };
        let action = configured
            .as_deref()
            .filter(|a| !a.is_empty())
            .map(|a| self.for_direction(rule, a))
            .unwrap_or(default);
        match action {
            "NONE" => Ok(()),
            "ERROR" | "DLQ" => Err(Error::Rule {
                rule: name_of(&rule.name).to_string(),
                action: action.to_string(),
                reason: failure.unwrap_or_else(|| "the rule's onSuccess action".into()),
            }),
            other => Err(Error::Config(format!(
                "Could not find rule action of type {other} (rule {})",
                name_of(&rule.name)
            ))),
        }
    }

    /// A `WRITEREAD` rule's `A,B` action: `A` when writing, `B` when reading.
    fn for_direction<'a>(&self, rule: &Rule, action: &'a str) -> &'a str {
        match (rule.mode.as_deref(), action.split_once(',')) {
            (Some("WRITEREAD"), Some((write, read))) => match self.direction {
                Direction::Write => write,
                Direction::Read => read,
            },
            _ => action,
        }
    }

    /// The tags of a field: its own (from the schema) and those the metadata gives its path.
    fn tags_of(&self, field: &FieldInfo) -> Vec<String> {
        let mut tags = field.tags.clone();
        for (pattern, extra) in &self.tags {
            if fields::matches(&field.full_name, pattern) {
                tags.extend(extra.iter().cloned());
            }
        }
        tags.sort();
        tags.dedup();
        tags
    }
}

/// One rule running on one message.
struct Run<'a> {
    rules: &'a DomainRules,
    rule: &'a Rule,
    condition: bool,
    guard: Option<&'a Expr>,
    body: &'a Expr,
}

impl Run<'_> {
    /// `CEL`: the expression on the whole message.
    fn on_message(&self, message: CelValue) -> Outcome {
        let mut context = Context::with_env(ENV.clone());
        context.add_variable_from_value("message", message);
        if self.guarded(&context) {
            return Outcome::Passed(None);
        }
        match self.body.evaluate(&context) {
            Err(reason) => Outcome::Failed(reason),
            Ok(CelValue::Bool(false)) if self.condition => Outcome::Failed(self.unmet()),
            Ok(_) if self.condition => Outcome::Passed(None),
            Ok(transformed) => Outcome::Passed(Some(transformed)),
        }
    }

    /// `CEL_FIELD`: the expression on each primitive field the rule's tags select.
    fn on_fields<F: Format>(&self, format: &F, mut message: CelValue) -> Outcome {
        let mut visit = |field: &FieldInfo, container: &CelValue, value: &CelValue| {
            if matches!(value, CelValue::Null) {
                return Ok(None);
            }
            let tags = self.rules.tags_of(field);
            if !self.rule.tags.is_empty() && !self.rule.tags.iter().any(|t| tags.contains(t)) {
                return Ok(None);
            }
            let mut context = Context::with_env(ENV.clone());
            context.add_variable_from_value("value", value.clone());
            context.add_variable_from_value("fullName", field.full_name.clone());
            context.add_variable_from_value("name", field.name.clone());
            context.add_variable_from_value("typeName", field.type_name);
            context.add_variable_from_value("tags", tags);
            context.add_variable_from_value("message", container.clone());
            if self.guarded(&context) {
                return Ok(None);
            }
            match self.body.evaluate(&context)? {
                CelValue::Bool(false) if self.condition => Err(self.unmet()),
                _ if self.condition => Ok(None),
                transformed => Ok(Some(transformed)),
            }
        };
        match format.walk_fields(&mut message, &mut visit) {
            Err(reason) => Outcome::Failed(reason),
            Ok(()) if self.condition => Outcome::Passed(None),
            Ok(()) => Outcome::Passed(Some(message)),
        }
    }

    /// Whether a guard keeps the expression from running: it is `false` or fails, as in
    /// Confluent's clients.
    fn guarded(&self, context: &Context<'_, '_>) -> bool {
        self.guard.is_some_and(|guard| {
            matches!(guard.evaluate(context), Ok(CelValue::Bool(false)) | Err(_))
        })
    }

    /// Why a condition failed, as Confluent's clients say it: the rule's `doc`, else its
    /// expression, else its name.
    fn unmet(&self) -> String {
        let rule = self.rule;
        match (&rule.doc, &rule.expr) {
            (Some(doc), _) if !doc.is_empty() => doc.clone(),
            (_, Some(expr)) => format!("Expr failed: '{expr}'"),
            _ => format!("Condition failed: '{}'", name_of(&rule.name)),
        }
    }
}

/// What running a rule came to.
enum Outcome {
    /// The rule held; a `TRANSFORM`'s new message, in CEL.
    Passed(Option<CelValue>),
    /// Why it failed: a condition that does not hold, or an error.
    Failed(String),
}

/// Whether `rule` runs in `direction`. Modes that are not the domain's (`UPGRADE`, ...) or not
/// known never do, as Confluent's clients skip them.
fn runs(rule: &Rule, direction: Direction) -> bool {
    matches!(
        (rule.mode.as_deref(), direction),
        (Some("WRITEREAD"), _)
            | (Some("WRITE"), Direction::Write)
            | (Some("READ"), Direction::Read)
    )
}

/// Whether two rules are field `TRANSFORM`s of the same tags (some), mode and type.
fn same_field_transform(rule: &Rule, other: &Rule) -> bool {
    !rule.tags.is_empty()
        && rule.kind.as_deref() == Some("TRANSFORM")
        && rule.kind == other.kind
        && rule.mode == other.mode
        && rule.rule_type == other.rule_type
        && rule.tags == other.tags
}

fn name_of(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

fn executor(rule: &Rule) -> Executor {
    let field = match rule.rule_type.as_deref() {
        Some("CEL") => false,
        Some("CEL_FIELD") => true,
        _ => return Executor::Unknown,
    };
    let expr = name_of(&rule.expr);
    let (guard, body) = match expr.split_once(';') {
        Some((guard, body)) if !guard.trim().is_empty() => (Some(Expr::compile(guard)), body),
        Some((_, body)) => (None, body),
        None => (None, expr),
    };
    Executor::Cel {
        field,
        guard,
        body: Expr::compile(body),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as JsonValue};

    use super::*;
    use crate::types::SchemaType;

    const SCHEMA: &str = r#"{"type":"object","properties":{
        "name":{"type":"string","confluent:tags":["PII"]},
        "age":{"type":"integer"},
        "address":{"type":"object","properties":{"city":{"type":"string"}}}}}"#;

    /// The rules of a JSON schema with these domain rules and metadata tags.
    fn rules(domain: JsonValue, tags: JsonValue, direction: Direction) -> DomainRules {
        let mut schema = Schema::new(SchemaType::Json, SCHEMA);
        schema.rule_set = Some(serde_json::from_value(json!({ "domainRules": domain })).unwrap());
        schema.metadata = Some(serde_json::from_value(json!({ "tags": tags })).unwrap());
        DomainRules::new(&schema, direction)
    }

    fn run(rules: &DomainRules, message: JsonValue) -> Result<JsonValue> {
        let text: JsonValue = serde_json::from_str(SCHEMA).unwrap();
        rules.apply(&JsonFormat { schema: &text }, message, None)
    }

    fn err(r: Result<JsonValue>) -> String {
        r.unwrap_err().to_string()
    }

    fn message() -> JsonValue {
        json!({"name": "Ada", "age": 36, "address": {"city": "London"}})
    }

    #[test]
    fn a_condition_refuses_what_breaks_it_and_passes_what_keeps_it() {
        let adult = json!([{"name": "adult", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "message.age >= 18 && message.name.size() < 10"}]);
        let rules = rules(adult, json!({}), Direction::Write);
        assert_eq!(run(&rules, message()).unwrap(), message());
        let minor = json!({"name": "Tim", "age": 12, "address": {"city": "Leeds"}});
        assert_eq!(
            err(run(&rules, minor)),
            "rule adult failed (ERROR): Expr failed: 'message.age >= 18 && message.name.size() < 10'"
        );
        // The doc, when there is one, says why.
        let documented = json!([{"name": "adult", "kind": "CONDITION", "mode": "WRITEREAD",
            "type": "CEL", "doc": "customers are adults", "expr": "message.age >= 18"}]);
        let rules = super::tests::rules(documented, json!({}), Direction::Read);
        assert_eq!(
            err(run(&rules, json!({"age": 3}))),
            "rule adult failed (ERROR): customers are adults"
        );
    }

    #[test]
    fn rules_run_in_their_direction_only_and_read_in_reverse() {
        let domain = json!([
            {"name": "first", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "CEL",
             "expr": "{'name': message.name + '1'}"},
            {"name": "second", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "CEL",
             "expr": "{'name': message.name + '2'}"},
            {"name": "written", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "false"},
            {"name": "upgrade", "kind": "CONDITION", "mode": "UPGRADE", "type": "CEL", "expr": "false"},
            {"name": "off", "kind": "CONDITION", "mode": "READ", "type": "CEL", "expr": "false",
             "disabled": true}
        ]);
        let read = rules(domain.clone(), json!({}), Direction::Read);
        assert_eq!(
            run(&read, json!({"name": "x"})).unwrap(),
            json!({"name": "x21"})
        );
        let write = rules(domain, json!({}), Direction::Write);
        assert_eq!(
            err(run(&write, json!({"name": "x"}))),
            "rule written failed (ERROR): Expr failed: 'false'"
        );
    }

    #[test]
    fn confluents_string_checks_are_there() {
        let domain = json!([{"name": "contact", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "message.email.isEmail() && message.id.isUuid() && message.host.isHostname()"}]);
        let rules = rules(domain, json!({}), Direction::Write);
        let good = json!({"email": "ada@example.com", "host": "example.com",
                          "id": "89b4ffc4-ab9f-4d21-8c6f-1a1c1a2b3c4d"});
        assert_eq!(run(&rules, good.clone()).unwrap(), good);
        let mut bad = good;
        bad["email"] = json!("ada");
        assert!(run(&rules, bad).is_err());
    }

    #[test]
    fn a_field_transform_repeating_an_earlier_ones_tags_changes_nothing() {
        let mask = |name: &str, with: &str| {
            json!({"name": name, "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "CEL_FIELD",
                   "tags": ["PII"], "expr": format!("typeName == 'STRING' ; value + '{with}'")})
        };
        let domain = json!([mask("first", "1"), mask("second", "2")]);
        for direction in [Direction::Write, Direction::Read] {
            let out = run(&rules(domain.clone(), json!({}), direction), message()).unwrap();
            assert_eq!(out["name"], "Ada1", "{direction:?}");
        }
    }

    #[test]
    fn expressions_that_cannot_be_evaluated_fail_their_rule_not_the_process() {
        for expr in [
            "9223372036854775807 + 1 > 0",
            "-9223372036854775808 - 1 > 0",
            "1 / 0 == 1",
            "1 % 0 == 1",
            "[1][5] == 1",
            "message.name.substring(10) == ''",
            "message.name.charAt(-1) == ''",
            "int('x') == 1",
            "message.name.matches('(') ",
            "{'a': 1}['b'] == 1",
            "size(message.name) / 0 == 0",
            "double('nan') > 0.0 || int(1e300) > 0",
        ] {
            let domain = json!([{"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
                "expr": expr}]);
            let e = run(&rules(domain, json!({}), Direction::Write), message());
            assert!(e.is_err(), "{expr}: {e:?}");
        }
    }

    #[test]
    fn expressions_nesting_too_deep_are_refused_and_never_overflow_the_stack() {
        // `+` nests left to right (`&&` and `||` chains are balanced, and stay shallow).
        let chain = |n: usize| format!("{} > 0", vec!["message.age"; n].join(" + "));
        let nested = |n: usize| format!("{}message.age{} > 0", "[".repeat(n), "]".repeat(n));
        let parens = |n: usize| format!("{}message.age{} > 0", "(".repeat(n), ")".repeat(n));
        // Within the limit: compiled and evaluated on the test's own (2 MiB) stack.
        let conditions = vec!["message.age > 0"; 500].join(" && ");
        for expr in [chain(MAX_DEPTH - 1), parens(90), conditions] {
            let domain = json!([{"name": "r", "kind": "CONDITION", "mode": "WRITE",
                "type": "CEL", "expr": expr}]);
            assert!(run(&rules(domain, json!({}), Direction::Write), message()).is_ok());
        }
        for expr in [chain(500), nested(MAX_DEPTH + 1), parens(5_000)] {
            let domain = json!([{"name": "r", "kind": "CONDITION", "mode": "WRITE",
                "type": "CEL", "expr": expr}]);
            let e = err(run(&rules(domain, json!({}), Direction::Write), message()));
            assert!(e.contains("does not compile"), "{e}");
        }
    }

    #[test]
    fn the_rule_a_dead_lettered_record_failed_is_not_run_again() {
        let domain = json!([
            {"name": "adult", "kind": "CONDITION", "mode": "READ", "type": "CEL",
             "expr": "message.age >= 18"},
            {"name": "named", "kind": "CONDITION", "mode": "READ", "type": "CEL",
             "expr": "message.name != ''"}
        ]);
        let rules = rules(domain, json!({}), Direction::Read);
        let text: JsonValue = serde_json::from_str(SCHEMA).unwrap();
        let format = JsonFormat { schema: &text };
        let minor = json!({"name": "Tim", "age": 12});
        assert!(rules.apply(&format, minor.clone(), None).is_err());
        assert_eq!(
            rules.apply(&format, minor.clone(), Some("adult")).unwrap(),
            minor
        );
        let nameless = json!({"name": "", "age": 12});
        assert_eq!(
            err(rules.apply(&format, nameless, Some("adult"))),
            "rule named failed (ERROR): Expr failed: 'message.name != \'\''"
        );
    }

    #[test]
    fn a_guard_that_is_not_true_skips_the_rule() {
        let domain = json!([{"name": "old", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "has(message.age) ; message.age >= 18"}]);
        let rules = rules(domain, json!({}), Direction::Write);
        assert_eq!(
            run(&rules, json!({"name": "x"})).unwrap(),
            json!({"name": "x"})
        );
        assert!(run(&rules, json!({"age": 3})).is_err());
    }

    #[test]
    fn actions_none_error_and_dlq_decide_what_a_failure_does() {
        let rule = |on_failure: &str, mode: &str| {
            json!([{"name": "r", "kind": "CONDITION", "mode": mode, "type": "CEL",
                "expr": "message.age > 100", "onFailure": on_failure}])
        };
        let none = rules(rule("NONE", "WRITE"), json!({}), Direction::Write);
        assert_eq!(run(&none, message()).unwrap(), message());
        let dlq = rules(rule("DLQ", "WRITE"), json!({}), Direction::Write);
        let e = run(&dlq, message()).unwrap_err();
        assert!(
            matches!(&e, Error::Rule { action, .. } if action == "DLQ"),
            "{e}"
        );
        // WRITEREAD: the first action when writing, the second when reading.
        let split = rule("NONE,ERROR", "WRITEREAD");
        assert!(run(
            &rules(split.clone(), json!({}), Direction::Write),
            message()
        )
        .is_ok());
        assert!(run(&rules(split, json!({}), Direction::Read), message()).is_err());
        let unknown = rules(rule("EMAIL", "WRITE"), json!({}), Direction::Write);
        assert_eq!(
            err(run(&unknown, message())),
            "configuration: Could not find rule action of type EMAIL (rule r)"
        );
        // onSuccess ERROR refuses even a message that keeps the rule, as Confluent's Java client.
        let strict = json!([{"name": "r", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "true", "onSuccess": "ERROR"}]);
        assert_eq!(
            err(run(&rules(strict, json!({}), Direction::Write), message())),
            "rule r failed (ERROR): the rule's onSuccess action"
        );
    }

    #[test]
    fn unknown_types_and_broken_expressions_fail_unless_on_failure_says_none() {
        let encrypt = |on_failure: JsonValue| {
            json!([{"name": "enc", "kind": "TRANSFORM", "mode": "WRITEREAD", "type": "ENCRYPT",
                "tags": ["PII"], "onFailure": on_failure}])
        };
        assert_eq!(
            err(run(
                &rules(encrypt(JsonValue::Null), json!({}), Direction::Write),
                message()
            )),
            "rule enc failed (ERROR): Could not find rule executor of type ENCRYPT"
        );
        let tolerated = rules(encrypt(json!("NONE")), json!({}), Direction::Write);
        assert_eq!(run(&tolerated, message()).unwrap(), message());
        let broken = json!([{"name": "b", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "message.age >"}]);
        let e = err(run(&rules(broken, json!({}), Direction::Write), message()));
        assert!(
            e.starts_with("rule b failed (ERROR): CEL expr message.age > does not compile"),
            "{e}"
        );
        let missing = json!([{"name": "m", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "message.nothing == 1"}]);
        let e = err(run(&rules(missing, json!({}), Direction::Write), message()));
        assert!(
            e.starts_with("rule m failed (ERROR): CEL expr message.nothing == 1 failed"),
            "{e}"
        );
    }

    #[test]
    fn field_rules_see_the_fields_their_tags_select() {
        // Inline tags (`confluent:tags`) and metadata tags by path both count.
        let mask = json!([{"name": "mask", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
            "tags": ["PII"], "expr": "typeName == 'STRING' ; 'XXX-' + name + '-' + fullName"}]);
        let tags = json!({"$.address.city": ["PII"]});
        let out = run(&rules(mask, tags, Direction::Write), message()).unwrap();
        assert_eq!(
            out,
            json!({"name": "XXX-name-$.name", "age": 36,
                   "address": {"city": "XXX-city-$.address.city"}})
        );
        // Without tags, every primitive field; `message` is the record holding the field.
        let checked = json!([{"name": "short", "kind": "CONDITION", "mode": "WRITE",
            "type": "CEL_FIELD", "expr": "typeName != 'STRING' || value.size() < 6 || has(message.city)"}]);
        let rules = rules(checked, json!({}), Direction::Write);
        assert!(run(&rules, message()).is_ok());
        let long = json!({"name": "Augusta", "age": 36});
        assert_eq!(
            err(run(&rules, long)),
            "rule short failed (ERROR): Expr failed: 'typeName != 'STRING' || value.size() < 6 || has(message.city)'"
        );
    }
}
