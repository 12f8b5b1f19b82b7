//! Who may do what: built-in roles, grants of a role on a subject pattern, and the one question
//! every request asks, [`Access::allows`]. Default deny: a principal may do only what a grant
//! gives it. A principal's grants are resolved once, when its credentials are first verified,
//! so a request matches patterns and compares roles, and parses nothing.

use std::fmt;

use serde::Deserialize;

/// The built-in roles, each allowing what the one before it does and more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Subjects, versions, schemas, config, mode, compatibility checks.
    Reader,
    /// And register, soft delete.
    Writer,
    /// And hard delete, the subject's config and mode.
    Manager,
    /// Everything: the global config and mode, IMPORT mode.
    Admin,
}

/// What a request does, as the refusal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    /// Register, soft delete.
    Write,
    /// Hard delete.
    Delete,
    /// Set or delete a config or a mode.
    AlterConfigs,
    /// Put a subject in IMPORT mode.
    Import,
}

impl Operation {
    /// The least role that may do it.
    fn role(self) -> Role {
        match self {
            Operation::Read => Role::Reader,
            Operation::Write => Role::Writer,
            Operation::Delete | Operation::AlterConfigs => Role::Manager,
            Operation::Import => Role::Admin,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::Read => "Read",
            Operation::Write => "Write",
            Operation::Delete => "Delete",
            Operation::AlterConfigs => "AlterConfigs",
            Operation::Import => "Import",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The subjects a grant covers: `*`, a prefix ending in `*`, or one exact name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Any,
    Prefix(Box<str>),
    Exact(Box<str>),
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, String> {
        match text.strip_suffix('*') {
            Some("") => Ok(Pattern::Any),
            Some(prefix) if prefix.contains('*') => {
                Err(format!("subjects = \"{text}\": `*` may only end a pattern"))
            }
            Some(prefix) => Ok(Pattern::Prefix(prefix.into())),
            None if text.contains('*') => {
                Err(format!("subjects = \"{text}\": `*` may only end a pattern"))
            }
            None if text.is_empty() => {
                Err("subjects = \"\": name a subject, a prefix* or *".into())
            }
            None => Ok(Pattern::Exact(text.into())),
        }
    }

    fn matches(&self, subject: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Prefix(p) => subject.starts_with(&**p),
            Pattern::Exact(s) => **s == *subject,
        }
    }
}

/// A role on some subjects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub subjects: Pattern,
}

/// Whom a grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// A user name, a JWT principal or a certificate name.
    Principal(String),
    /// A group from the JWT's groups claim.
    Group(String),
}

/// Every grant in the auth file.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    grants: Vec<(Grantee, Grant)>,
}

impl Policy {
    pub fn new(grants: Vec<(Grantee, Grant)>) -> Policy {
        Policy { grants }
    }

    /// What `principal`, member of `groups`, may do.
    pub fn access(&self, principal: &str, groups: &[String]) -> Access {
        let grants: Vec<Grant> = self
            .grants
            .iter()
            .filter(|(who, _)| match who {
                Grantee::Principal(p) => p == principal,
                Grantee::Group(g) => groups.iter().any(|m| m == g),
            })
            .map(|(_, grant)| grant.clone())
            .collect();
        Access::new(grants)
    }
}

/// One principal's grants, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    grants: Box<[Grant]>,
    /// Some grant covers every subject: listings need no filter.
    reads_all: bool,
    /// Admin on every subject: the global config and mode.
    admin: bool,
}

impl Access {
    pub fn new(grants: Vec<Grant>) -> Access {
        let reads_all = grants.iter().any(|g| g.subjects == Pattern::Any);
        let admin = grants
            .iter()
            .any(|g| g.subjects == Pattern::Any && g.role == Role::Admin);
        Access {
            grants: grants.into(),
            reads_all,
            admin,
        }
    }

    /// May `operation` be done on `subject`?
    pub fn allows(&self, operation: Operation, subject: &str) -> bool {
        let least = operation.role();
        self.grants
            .iter()
            .any(|g| g.role >= least && g.subjects.matches(subject))
    }

    /// May it read every subject (so a listing needs no filter)?
    pub fn reads_all(&self) -> bool {
        self.reads_all
    }

    /// May it read what belongs to no subject (the global config and mode, the schema types)?
    /// Anyone granted anything.
    pub fn reads_global(&self) -> bool {
        !self.grants.is_empty()
    }

    /// May it change the global config and mode?
    pub fn is_admin(&self) -> bool {
        self.admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, subjects: &str) -> Grant {
        Grant {
            role,
            subjects: Pattern::parse(subjects).unwrap(),
        }
    }

    #[test]
    fn patterns() {
        assert_eq!(Pattern::parse("*"), Ok(Pattern::Any));
        assert_eq!(Pattern::parse("a-*"), Ok(Pattern::Prefix("a-".into())));
        assert_eq!(Pattern::parse("a"), Ok(Pattern::Exact("a".into())));
        assert!(Pattern::parse("a*b").is_err());
        assert!(Pattern::parse("*a*").is_err());
        assert!(Pattern::parse("").is_err());
    }

    #[test]
    fn roles_include_the_ones_below() {
        let a = Access::new(vec![grant(Role::Writer, "orders-*")]);
        assert!(a.allows(Operation::Read, "orders-value"));
        assert!(a.allows(Operation::Write, "orders-value"));
        assert!(!a.allows(Operation::Delete, "orders-value"));
        assert!(!a.allows(Operation::Read, "payments-value"));
        assert!(!a.reads_all() && a.reads_global() && !a.is_admin());
    }

    #[test]
    fn nothing_granted_is_nothing_allowed() {
        let a = Policy::default().access("ci", &[]);
        assert!(!a.allows(Operation::Read, "x") && !a.reads_global());
    }

    #[test]
    fn groups_and_principals() {
        let policy = Policy::new(vec![
            (Grantee::Group("ops".into()), grant(Role::Admin, "*")),
            (Grantee::Principal("ci".into()), grant(Role::Reader, "a")),
        ]);
        assert!(policy.access("x", &["ops".into()]).is_admin());
        assert!(!policy.access("ops", &[]).is_admin());
        assert!(policy.access("ci", &[]).allows(Operation::Read, "a"));
        assert!(!policy.access("ci", &[]).allows(Operation::Read, "ab"));
    }
}
