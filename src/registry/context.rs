//! Contexts: subject names qualified as `:.ctx:name` (Confluent's `QualifiedSubject`).
//!
//! A subject is kept and stored under its qualified name, as Confluent's `_schemas` topic keeps
//! it; an unqualified name is a subject of the default context `.`. Each context numbers its
//! schemas on its own (see `state.rs`). The HTTP layer normalizes names once, at the edge
//! ([`normalize`]); the registry reads the context back from a name with [`context_of`], which
//! only looks at its first bytes.

use std::borrow::Cow;

/// The default context.
pub const DEFAULT: &str = ".";

/// The context whose config and mode every context falls back to last (Confluent's
/// `.__GLOBAL`); it holds no subjects.
pub const GLOBAL: &str = ".__GLOBAL";

/// A subject prefix naming every context (`:*:`, then an optional unqualified prefix).
pub const WILDCARD: &str = ":*:";

/// The context of a qualified subject name: `.ctx` for `:.ctx:name` (and for `:.ctx`), `.` for
/// a name without a context.
pub fn context_of(subject: &str) -> &str {
    split(subject).0
}

/// The name of a subject inside its context: `name` for `:.ctx:name`.
pub fn unqualified(subject: &str) -> &str {
    split(subject).1
}

/// `(context, name)`, as Confluent's `QualifiedSubject` reads a name (default tenant).
fn split(subject: &str) -> (&str, &str) {
    crate::storage::split_subject(subject)
}

/// The prefix a context gives its subjects: `:.ctx:`, or nothing for the default context.
pub fn prefix(context: &str) -> String {
    if context == DEFAULT {
        String::new()
    } else {
        format!(":{context}:")
    }
}

/// A subject name as Confluent stores it (`QualifiedSubject.normalize`): `:.:name` is `name`,
/// and `:.ctx` (the context itself) is `:.ctx:`.
pub fn normalize(subject: &str) -> Cow<'_, str> {
    if !subject.starts_with(":.") {
        return Cow::Borrowed(subject);
    }
    let (context, name) = split(subject);
    let normalized = format!("{}{name}", prefix(context));
    if normalized == subject {
        Cow::Borrowed(subject)
    } else {
        Cow::Owned(normalized)
    }
}

/// A context as a URL names it (`.ctx`, `ctx`, `:.ctx:`), in the form a subject prefix takes:
/// `:.ctx:`, or nothing for the default context (Confluent's `normalizeContext`). A colon
/// inside the name is refused with Confluent's message.
pub fn normalize_context(context: &str) -> Result<String, String> {
    let bare = context.strip_prefix(':').unwrap_or(context);
    let bare = bare.strip_suffix(':').unwrap_or(bare);
    if bare.contains(':') {
        return Err(format!("Context name '{bare}' cannot contain a colon"));
    }
    if bare.starts_with('.') {
        Ok(prefix(bare))
    } else {
        Ok(prefix(&format!(".{bare}")))
    }
}

/// The subject a reference names, read from a schema of context `parent`: an unqualified name
/// is in the referencing schema's context (Confluent's `qualifySubjectWithParent`).
pub fn qualify_reference<'a>(parent: &str, subject: &'a str) -> Cow<'a, str> {
    let (context, name) = split(subject);
    if context != DEFAULT || parent == DEFAULT {
        return normalize(subject);
    }
    Cow::Owned(format!("{}{name}", prefix(parent)))
}

/// Which subjects a `subjectPrefix` selects (Confluent's range over qualified names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `:*:rest`: subjects of every context whose unqualified name starts with `rest`.
    Everywhere(String),
    /// `:.ctx:...`: subjects whose qualified name starts with this.
    Qualified(String),
    /// Anything else: subjects of the default context that start with this.
    Default(String),
}

impl Scope {
    pub fn of(prefix: &str) -> Scope {
        if let Some(rest) = prefix.strip_prefix(WILDCARD) {
            Scope::Everywhere(rest.to_string())
        } else if prefix.starts_with(":.") {
            Scope::Qualified(normalize(prefix).into_owned())
        } else {
            Scope::Default(prefix.to_string())
        }
    }

    /// Where, in sorted names, the selected ones start.
    pub fn start(&self) -> &str {
        match self {
            Scope::Everywhere(_) => "",
            Scope::Qualified(p) | Scope::Default(p) => p,
        }
    }

    /// Whether `subject` is selected.
    pub fn admits(&self, subject: &str) -> bool {
        match self {
            Scope::Everywhere(rest) => unqualified(subject).starts_with(rest.as_str()),
            Scope::Qualified(p) => subject.starts_with(p.as_str()),
            Scope::Default(p) => subject.starts_with(p.as_str()) && !subject.starts_with(":."),
        }
    }

    /// Whether names from `subject` on (in sorted order) can no longer be selected.
    pub fn past(&self, subject: &str) -> bool {
        match self {
            Scope::Everywhere(_) => false,
            Scope::Qualified(p) | Scope::Default(p) => !subject.starts_with(p.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_as_confluent_reads_them() {
        assert_eq!(split(":.staging:orders"), (".staging", "orders"));
        assert_eq!(split(":.staging:"), (".staging", ""));
        assert_eq!(split(":.staging"), (".staging", ""));
        assert_eq!(split(":.:orders"), (".", "orders"));
        assert_eq!(split("orders"), (".", "orders"));
        assert_eq!(split(":x:orders"), (".", ":x:orders"));
        assert_eq!(split(":.a.b:c:d"), (".a.b", "c:d"));
    }

    #[test]
    fn names_normalize_as_confluent_stores_them() {
        assert_eq!(normalize(":.:orders"), "orders");
        assert_eq!(normalize(":.staging"), ":.staging:");
        assert_eq!(normalize(":.staging:o"), ":.staging:o");
        assert_eq!(normalize("o"), "o");
    }

    #[test]
    fn contexts_from_urls() {
        assert_eq!(normalize_context(".staging").unwrap(), ":.staging:");
        assert_eq!(normalize_context("staging").unwrap(), ":.staging:");
        assert_eq!(normalize_context(":.staging:").unwrap(), ":.staging:");
        assert_eq!(normalize_context(".").unwrap(), "");
        assert_eq!(
            normalize_context("a:b").unwrap_err(),
            "Context name 'a:b' cannot contain a colon"
        );
    }

    #[test]
    fn references_take_the_referencing_schemas_context() {
        assert_eq!(qualify_reference(".a", "r"), ":.a:r");
        assert_eq!(qualify_reference(".a", ":.b:r"), ":.b:r");
        assert_eq!(qualify_reference(".", "r"), "r");
        assert_eq!(qualify_reference(".", ":.b:r"), ":.b:r");
    }

    #[test]
    fn prefixes_select_as_confluents_ranges() {
        let all = Scope::of(":*:");
        assert!(all.admits("a") && all.admits(":.x:a"));
        let named = Scope::of(":*:or");
        assert!(named.admits("orders") && named.admits(":.x:orders") && !named.admits("x"));
        let ctx = Scope::of(":.x:");
        assert!(ctx.admits(":.x:a") && !ctx.admits("a") && !ctx.admits(":.y:a"));
        let default = Scope::of("");
        assert!(default.admits("a") && !default.admits(":.x:a"));
    }
}
