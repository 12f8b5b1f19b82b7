//! The seven compatibility levels, composed once for every format.
//!
//! Each format offers one primitive, "what does a reader using schema R see in data written with
//! schema W" ([`Schema::changes_reading`]). The levels are built from it:
//!
//! | level                 | check against each chosen previous schema P    | previous chosen      |
//! |-----------------------|------------------------------------------------|----------------------|
//! | `NONE`                | nothing                                        | none                 |
//! | `BACKWARD`            | new reads P                                    | latest live version  |
//! | `FORWARD`             | P reads new                                    | latest live version  |
//! | `FULL`                | FORWARD, then BACKWARD; messages in that order | latest live version  |
//! | `*_TRANSITIVE`        | as above                                       | every live version   |
//!
//! Transitive checks walk the history newest first and stop at the first version that fails;
//! only that version's messages are returned (Confluent's `CompatibilityChecker`).

use std::fmt;
use std::str::FromStr;

use crate::change::{Change, Policy, Role};
use crate::Schema;

/// Longest old schema quoted in full in a message (Confluent truncates beyond 10 KiB).
const OLD_SCHEMA_QUOTE_LIMIT: usize = 10240;

/// A compatibility level. Parsed case-insensitively; printed upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompatibilityLevel {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl CompatibilityLevel {
    pub const ALL: [CompatibilityLevel; 7] = [
        CompatibilityLevel::None,
        CompatibilityLevel::Backward,
        CompatibilityLevel::BackwardTransitive,
        CompatibilityLevel::Forward,
        CompatibilityLevel::ForwardTransitive,
        CompatibilityLevel::Full,
        CompatibilityLevel::FullTransitive,
    ];

    /// The wire name, e.g. `BACKWARD_TRANSITIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::None => "NONE",
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::FullTransitive
        )
    }

    fn checks_forward(self) -> bool {
        !matches!(
            self,
            CompatibilityLevel::None
                | CompatibilityLevel::Backward
                | CompatibilityLevel::BackwardTransitive
        )
    }

    fn checks_backward(self) -> bool {
        !matches!(
            self,
            CompatibilityLevel::None
                | CompatibilityLevel::Forward
                | CompatibilityLevel::ForwardTransitive
        )
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CompatibilityLevel {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        CompatibilityLevel::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

/// A registered schema to check against, with its version when it has one.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    pub schema: &'a Schema,
    pub version: Option<i32>,
}

/// The outcome of a check: empty messages mean compatible.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Confluent-formatted messages: one per incompatible change, then `{oldSchemaVersion: n}`
    /// and `{oldSchema: '...'}` lines where Confluent adds them.
    pub messages: Vec<String>,
    /// The incompatible changes behind the messages, for tools that want structure.
    pub findings: Vec<Finding>,
    /// The version of the previous schema the candidate failed against, when it has one.
    pub against: Option<i32>,
}

/// One incompatible change, the direction it was found in and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub change: Change,
    /// True when found with the new schema reading old data (BACKWARD), false for FORWARD.
    pub backward: bool,
    pub message: String,
}

impl Report {
    pub fn is_compatible(&self) -> bool {
        self.messages.is_empty()
    }
}

/// Checks `new` against `history` (oldest first, live versions only) under `level`.
pub fn check(
    level: CompatibilityLevel,
    new: &Schema,
    history: &[Previous<'_>],
    policy: Policy,
) -> Report {
    let chosen: Vec<&Previous<'_>> = if level.is_transitive() {
        history.iter().rev().collect()
    } else {
        history.last().into_iter().collect()
    };
    if level == CompatibilityLevel::None {
        return Report::default();
    }
    for previous in chosen {
        let report = check_one(level, new, previous, policy);
        if !report.is_compatible() {
            return report;
        }
    }
    Report::default()
}

fn check_one(
    level: CompatibilityLevel,
    new: &Schema,
    previous: &Previous<'_>,
    policy: Policy,
) -> Report {
    let mut report = Report {
        against: previous.version,
        ..Report::default()
    };
    if new.schema_type() != previous.schema.schema_type() {
        report
            .messages
            .push("Incompatible because of different schema type".to_string());
        return report;
    }
    if level.checks_forward() {
        // The old schema reads data written with the new one.
        let changes = incompatible(previous.schema, new, policy);
        let quote = matches!(
            level,
            CompatibilityLevel::Forward | CompatibilityLevel::ForwardTransitive
        );
        append(&mut report, changes, false, quote.then_some(previous));
    }
    if level.checks_backward() {
        let changes = incompatible(new, previous.schema, policy);
        append(&mut report, changes, true, Some(previous));
    }
    if report.messages.is_empty() {
        report.against = None;
    }
    report
}

fn incompatible(reader: &Schema, writer: &Schema, policy: Policy) -> Vec<Change> {
    reader
        .changes_reading(writer)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !c.kind.is_compatible(policy))
        .collect()
}

/// Adds the messages of `changes`; `backward` says the new schema was the reader.
fn append(report: &mut Report, changes: Vec<Change>, backward: bool, quote: Option<&Previous<'_>>) {
    if changes.is_empty() {
        return;
    }
    let (reader, writer) = if backward {
        (Role::New, Role::Old)
    } else {
        (Role::Old, Role::New)
    };
    for change in changes {
        let message = change.message(reader, writer);
        report.messages.push(message.clone());
        report.findings.push(Finding {
            change,
            backward,
            message,
        });
    }
    if let Some(previous) = quote {
        if let Some(version) = previous.version {
            report
                .messages
                .push(format!("{{oldSchemaVersion: {version}}}"));
        }
        report
            .messages
            .push(quote_old_schema(previous.schema.canonical()));
    }
}

fn quote_old_schema(text: &str) -> String {
    if text.chars().count() <= OLD_SCHEMA_QUOTE_LIMIT {
        format!("{{oldSchema: '{text}'}}")
    } else {
        let head: String = text.chars().take(OLD_SCHEMA_QUOTE_LIMIT).collect();
        format!("{{oldSchema: <truncated> '{head}...'}}")
    }
}
