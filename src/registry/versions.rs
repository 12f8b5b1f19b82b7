//! A subject's versions, kept in the subjects map's own nodes: nearly every subject has one
//! version, held inline (no allocation of its own); more go in a shared sorted vector, cloned
//! only when a write changes a list another state still uses. An `Arc` around every list and a
//! vector for one version cost about 80 bytes a subject at a million.

use std::sync::Arc;

use crate::registry::state::VersionInfo;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionList(Entries);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entries {
    One((i32, VersionInfo)),
    /// None (only between removing a subject's last version and removing the subject), or two
    /// or more. Sorted by version number, no duplicates; capacity kept tight.
    Many(Arc<Vec<(i32, VersionInfo)>>),
}

impl VersionList {
    pub fn one(version: i32, info: VersionInfo) -> VersionList {
        VersionList(Entries::One((version, info)))
    }

    /// A list of `entries`, which must be sorted by version without duplicates.
    pub fn from_sorted(mut entries: Vec<(i32, VersionInfo)>) -> VersionList {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        match entries.as_slice() {
            [only] => VersionList::one(only.0, only.1),
            _ => {
                entries.shrink_to_fit();
                VersionList(Entries::Many(Arc::new(entries)))
            }
        }
    }

    fn entries(&self) -> &[(i32, VersionInfo)] {
        match &self.0 {
            Entries::One(entry) => std::slice::from_ref(entry),
            Entries::Many(entries) => entries,
        }
    }

    pub fn get(&self, version: &i32) -> Option<&VersionInfo> {
        let entries = self.entries();
        find(entries, *version).ok().map(|at| &entries[at].1)
    }

    /// Versions in ascending order, as `BTreeMap::iter` gives them.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&i32, &VersionInfo)> + '_ {
        self.entries().iter().map(|(v, i)| (v, i))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &i32> + '_ {
        self.entries().iter().map(|(v, _)| v)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &VersionInfo> + '_ {
        self.entries().iter().map(|(_, i)| i)
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// Sets `version`, returning what it held before.
    pub fn insert(&mut self, version: i32, info: VersionInfo) -> Option<VersionInfo> {
        let entries = match &mut self.0 {
            Entries::One((v, held)) if *v == version => {
                return Some(std::mem::replace(held, info));
            }
            Entries::One(entry) => {
                let mut entries = vec![*entry, (version, info)];
                entries.sort_unstable_by_key(|(v, _)| *v);
                self.0 = Entries::Many(Arc::new(entries));
                return None;
            }
            Entries::Many(entries) => Arc::make_mut(entries),
        };
        match find(entries, version) {
            Ok(at) => Some(std::mem::replace(&mut entries[at].1, info)),
            Err(at) => {
                entries.reserve_exact(1);
                entries.insert(at, (version, info));
                None
            }
        }
    }

    pub fn remove(&mut self, version: &i32) -> Option<VersionInfo> {
        let entries = match &mut self.0 {
            Entries::One((v, held)) if v == version => {
                let held = *held;
                self.0 = Entries::Many(Arc::default());
                return Some(held);
            }
            Entries::One(_) => return None,
            Entries::Many(entries) => entries,
        };
        let at = find(entries, *version).ok()?;
        let entries = Arc::make_mut(entries);
        let (_, info) = entries.remove(at);
        if let [only] = entries.as_slice() {
            *self = VersionList::one(only.0, only.1);
        } else {
            entries.shrink_to_fit();
        }
        Some(info)
    }

    /// The versions up to and including `last`, to change in place.
    pub fn up_to_mut(&mut self, last: i32) -> impl Iterator<Item = &mut VersionInfo> + '_ {
        let end = match find(self.entries(), last) {
            Ok(at) => at + 1,
            Err(at) => at,
        };
        let entries: &mut [(i32, VersionInfo)] = match &mut self.0 {
            Entries::One(entry) => std::slice::from_mut(entry),
            // Nothing to change: the list another state shares is left alone.
            Entries::Many(_) if end == 0 => &mut [],
            Entries::Many(entries) => Arc::make_mut(entries).as_mut_slice(),
        };
        entries[..end].iter_mut().map(|(_, i)| i)
    }
}

fn find(entries: &[(i32, VersionInfo)], version: i32) -> Result<usize, usize> {
    entries.binary_search_by_key(&version, |(v, _)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: u32) -> VersionInfo {
        VersionInfo {
            id,
            deleted: false,
            ts: 0,
        }
    }

    fn listed(list: &VersionList) -> Vec<(i32, u32)> {
        list.iter().map(|(v, i)| (*v, i.id)).collect()
    }

    #[test]
    fn keeps_versions_sorted_and_replaces_in_place() {
        let mut list = VersionList::one(3, info(30));
        assert_eq!(list.insert(1, info(10)), None);
        assert_eq!(list.insert(2, info(20)), None);
        assert_eq!(list.insert(2, info(21)), Some(info(20)));
        assert_eq!(list.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(list.get(&2), Some(&info(21)));
        assert_eq!(list.get(&4), None);
        assert_eq!(list.remove(&1), Some(info(10)));
        assert_eq!(list.remove(&1), None);
        assert_eq!(list.iter().next_back(), Some((&3, &info(30))));
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn one_version_is_inline_and_a_list_of_one_becomes_inline_again() {
        let mut list = VersionList::one(5, info(50));
        assert!(matches!(list.0, Entries::One(_)));
        assert_eq!(list.insert(5, info(51)), Some(info(50)));
        assert!(matches!(list.0, Entries::One(_)));
        assert_eq!(list.insert(4, info(40)), None);
        assert!(matches!(list.0, Entries::Many(_)));
        assert_eq!(listed(&list), [(4, 40), (5, 51)]);
        assert_eq!(list.remove(&4), Some(info(40)));
        assert!(matches!(list.0, Entries::One(_)));
        assert_eq!(listed(&list), [(5, 51)]);
        assert_eq!(list.remove(&6), None);
        assert_eq!(list.remove(&5), Some(info(51)));
        assert!(list.is_empty());
        assert_eq!(list.insert(7, info(70)), None);
        assert_eq!(listed(&list), [(7, 70)]);

        assert_eq!(
            VersionList::from_sorted(vec![(2, info(2))]),
            VersionList::one(2, info(2))
        );
        let many = VersionList::from_sorted(vec![(1, info(1)), (2, info(2))]);
        assert_eq!(listed(&many), [(1, 1), (2, 2)]);
    }

    #[test]
    fn a_change_leaves_a_copy_that_shares_the_list_as_it_was() {
        let mut list = VersionList::from_sorted(vec![(1, info(1)), (2, info(2))]);
        let before = list.clone();
        list.insert(3, info(3));
        list.up_to_mut(1).for_each(|i| i.deleted = true);
        assert_eq!(listed(&before), [(1, 1), (2, 2)]);
        assert!(before.values().all(|i| !i.deleted));
        assert_eq!(listed(&list), [(1, 1), (2, 2), (3, 3)]);
        assert!(list.get(&1).unwrap().deleted);
    }

    #[test]
    fn marks_versions_up_to_one_that_may_not_exist() {
        let mut list = VersionList::one(1, info(1));
        for v in [2, 4, 5] {
            list.insert(v, info(v as u32));
        }
        list.up_to_mut(3).for_each(|i| i.deleted = true);
        let deleted: Vec<i32> = list
            .iter()
            .filter(|(_, i)| i.deleted)
            .map(|(v, _)| *v)
            .collect();
        assert_eq!(deleted, [1, 2]);
        list.up_to_mut(5).for_each(|i| i.deleted = true);
        assert!(list.values().all(|i| i.deleted));

        let mut one = VersionList::one(2, info(2));
        one.up_to_mut(1).for_each(|i| i.deleted = true);
        assert!(!one.get(&2).unwrap().deleted);
        one.up_to_mut(2).for_each(|i| i.deleted = true);
        assert!(one.get(&2).unwrap().deleted);
    }

    #[test]
    fn a_one_version_list_is_no_bigger_than_its_version() {
        assert_eq!(
            std::mem::size_of::<VersionList>(),
            std::mem::size_of::<(i32, VersionInfo)>()
        );
    }
}
