//! The subject versions holding one schema id. Nearly every id has one: it is kept inline, its
//! subject the `Arc<str>` that keys the subjects map (one copy of each name, counted), instead
//! of a shared vector of owned names (two more allocations an id: about 70 bytes at a million).

use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum Usages {
    One(Arc<str>, i32),
    /// Two or more, sorted, no duplicates.
    Many(Arc<Vec<(Arc<str>, i32)>>),
}

impl Usages {
    pub fn new(subject: Arc<str>, version: i32) -> Usages {
        Usages::One(subject, version)
    }

    /// The subject versions of `users`, which must be sorted without duplicates.
    pub fn from_sorted(mut users: Vec<(Arc<str>, i32)>) -> Option<Usages> {
        debug_assert!(users.windows(2).all(|w| w[0] < w[1]));
        match users.len() {
            0 => None,
            1 => users.pop().map(|(s, v)| Usages::One(s, v)),
            _ => {
                users.shrink_to_fit();
                Some(Usages::Many(Arc::new(users)))
            }
        }
    }

    /// The subject versions, sorted.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, i32)> + '_ {
        let (one, many) = match self {
            Usages::One(subject, version) => (Some((&**subject, *version)), [].iter()),
            Usages::Many(users) => (None, users.iter()),
        };
        one.into_iter()
            .chain(many.map(|(subject, version)| (&**subject, *version)))
    }

    /// Adds a subject version (nothing when it is there already).
    pub fn insert(&mut self, subject: &Arc<str>, version: i32) {
        let mut users: Vec<(Arc<str>, i32)> = match self {
            Usages::One(s, v) if *s == *subject && *v == version => return,
            Usages::One(s, v) => vec![(s.clone(), *v)],
            Usages::Many(users) => {
                let users = Arc::make_mut(users);
                let user = (subject.clone(), version);
                if let Err(at) = users.binary_search(&user) {
                    users.insert(at, user);
                }
                return;
            }
        };
        let user = (subject.clone(), version);
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
                users.retain(|(s, v)| !(**s == *subject && *v == version));
                if let [(s, v)] = users.as_slice() {
                    *self = Usages::new(s.clone(), *v);
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

    fn name(s: &str) -> Arc<str> {
        s.into()
    }

    #[test]
    fn keeps_users_sorted_inline_while_there_is_one() {
        let mut users = Usages::new(name("b"), 1);
        users.insert(&name("b"), 1);
        assert!(matches!(users, Usages::One(..)));
        users.insert(&name("a"), 2);
        users.insert(&name("c"), 1);
        users.insert(&name("a"), 2);
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

    #[test]
    fn shares_the_names_it_is_given() {
        let b = name("b");
        let mut users = Usages::new(b.clone(), 1);
        users.insert(&b, 2);
        let Usages::Many(many) = &users else {
            panic!("two users are a list");
        };
        assert!(many.iter().all(|(s, _)| Arc::ptr_eq(s, &b)));
        assert!(users.remove("b", 1));
        let Usages::One(one, 2) = &users else {
            panic!("one user is inline");
        };
        assert!(Arc::ptr_eq(one, &b));
    }

    #[test]
    fn reads_back_from_a_sorted_list() {
        assert!(Usages::from_sorted(vec![]).is_none());
        let one = Usages::from_sorted(vec![(name("a"), 1)]).unwrap();
        assert!(matches!(one, Usages::One(..)));
        let two = Usages::from_sorted(vec![(name("a"), 1), (name("a"), 2)]).unwrap();
        assert_eq!(listed(&two), [("a".into(), 1), ("a".into(), 2)]);
    }
}
