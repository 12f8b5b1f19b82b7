//! The subject versions holding one schema id. Nearly every id has one: it is kept inline, its
//! subject an `Arc<str>` (cloned with a count when the persistent map copies a node), instead of
//! a shared vector of owned names (two more allocations an id: about 70 bytes at a million).

use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Usages {
    One(Arc<str>, i32),
    /// Two or more, sorted, no duplicates.
    Many(Arc<Vec<(String, i32)>>),
}

impl Usages {
    pub fn new(subject: &str, version: i32) -> Usages {
        Usages::One(subject.into(), version)
    }

    /// The subject versions, sorted.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, i32)> + '_ {
        let (one, many) = match self {
            Usages::One(subject, version) => (Some((&**subject, *version)), [].iter()),
            Usages::Many(users) => (None, users.iter()),
        };
        one.into_iter()
            .chain(many.map(|(subject, version)| (subject.as_str(), *version)))
    }

    /// Adds a subject version (nothing when it is there already).
    pub fn insert(&mut self, subject: &str, version: i32) {
        let mut users: Vec<(String, i32)> = match self {
            Usages::One(s, v) if **s == *subject && *v == version => return,
            Usages::One(s, v) => vec![(s.to_string(), *v)],
            Usages::Many(users) => {
                let users = Arc::make_mut(users);
                let user = (subject.to_string(), version);
                if let Err(at) = users.binary_search(&user) {
                    users.insert(at, user);
                }
                return;
            }
        };
        let user = (subject.to_string(), version);
        if let Err(at) = users.binary_search(&user) {
            users.insert(at, user);
        }
        *self = Usages::Many(Arc::new(users));
    }

    /// Removes a subject version; false when none is left.
    pub fn remove(&mut self, subject: &str, version: i32) -> bool {
        match self {
            Usages::One(s, v) => !(**s == *subject && *v == version),
            Usages::Many(users) => {
                let users = Arc::make_mut(users);
                users.retain(|(s, v)| !(s == subject && *v == version));
                if let [(s, v)] = users.as_slice() {
                    *self = Usages::new(s, *v);
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(users: &Usages) -> Vec<(String, i32)> {
        users.iter().map(|(s, v)| (s.to_string(), v)).collect()
    }

    #[test]
    fn keeps_users_sorted_inline_while_there_is_one() {
        let mut users = Usages::new("b", 1);
        users.insert("b", 1);
        assert!(matches!(users, Usages::One(..)));
        users.insert("a", 2);
        users.insert("c", 1);
        users.insert("a", 2);
        assert_eq!(
            listed(&users),
            [("a".into(), 2), ("b".into(), 1), ("c".into(), 1)]
        );
        assert_eq!(users.iter().next_back(), Some(("c", 1)));
        assert!(users.remove("b", 1));
        assert!(users.remove("x", 1));
        assert!(users.remove("a", 2));
        assert!(matches!(users, Usages::One(..)));
        assert_eq!(listed(&users), [("c".into(), 1)]);
        assert!(users.remove("c", 2));
        assert!(!users.remove("c", 1));
    }
}
