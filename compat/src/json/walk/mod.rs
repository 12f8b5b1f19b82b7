//! Confluent's JSON Schema diff (compat-rules §3.2): compares an original and an updated model
//! node by node and reports every difference with its path (`#/properties/foo/maxLength`).
//! Whether a sub-comparison is "compatible" (for combined types and partially open content
//! models) is judged under the STRICT policy, as Confluent does.
//!
//! - `mod.rs`: dispatch, combined on one side, classes, common keywords.
//! - `scalar.rs`: strings, numbers, enums, consts, `not`.
//! - `combined.rs`: allOf/anyOf/oneOf against each other (maximum bipartite matching).
//! - `object.rs`: properties and content models, `required`, dependencies.
//! - `array.rs`: items, tuples and their content models.

mod array;
mod combined;
mod object;
mod scalar;

use std::collections::{HashMap, HashSet};

use super::model::{Criterion, Id, Kind, Model, Node};
use super::rules::{change, JsonChange as J};
use crate::{Change, Policy};

/// Subschema comparisons one walk may make. Combinations are matched pairwise, so schemas built
/// to explode that (nested anyOfs of distinct members) would otherwise stall a registration;
/// past the budget the rest is reported as changed, so such a schema is refused, not hung on.
const BUDGET: usize = 100_000;

/// Every difference from `original` to `update`.
pub(super) fn compare(original: &Model, update: &Model) -> Vec<Change> {
    Walk::new(original, update, BUDGET).compare("#/", Some(original.root), Some(update.root))
}

pub(super) struct Walk<'a> {
    pub(super) o: &'a Model,
    pub(super) u: &'a Model,
    /// Pairs being compared: met again (a recursive `$ref`), they count as compatible.
    in_progress: HashSet<(Id, Id)>,
    /// Finished comparisons by the shapes compared, with the path they were made at: the same
    /// subschemas met elsewhere give the same changes, moved to the new path.
    done: HashMap<(u64, u64), (String, Vec<Change>)>,
    /// Comparisons left.
    budget: usize,
}

/// `changes` found at `from`, as found at `to`.
fn moved(changes: &[Change], from: &str, to: &str) -> Vec<Change> {
    changes
        .iter()
        .map(|c| {
            let rest = c.path.strip_prefix(from).unwrap_or_default();
            let path = if rest.is_empty() {
                to.to_string()
            } else {
                join(to, rest.trim_start_matches('/'))
            };
            Change { path, ..c.clone() }
        })
        .collect()
}

/// `base` and a further path segment: `#/` + `items` is `#/items`.
pub(super) fn join(base: &str, segment: &str) -> String {
    if base.ends_with('/') {
        format!("{base}{segment}")
    } else {
        format!("{base}/{segment}")
    }
}

/// Whether every change is compatible under STRICT.
pub(super) fn compatible(changes: &[Change]) -> bool {
    changes.iter().all(|c| c.kind.is_compatible(Policy::Strict))
}

impl<'a> Walk<'a> {
    fn new(o: &'a Model, u: &'a Model, budget: usize) -> Walk<'a> {
        Walk {
            o,
            u,
            in_progress: HashSet::new(),
            done: HashMap::new(),
            budget,
        }
    }

    pub(super) fn on(&self, id: Id) -> &'a Node {
        self.o.node(id)
    }

    pub(super) fn up(&self, id: Id) -> &'a Node {
        self.u.node(id)
    }

    /// Compares two optional subschemas at `path`.
    pub(super) fn compare(&mut self, path: &str, o: Option<Id>, u: Option<Id>) -> Vec<Change> {
        let (o, u) = match (o, u) {
            (None, None) => return Vec::new(),
            (None, Some(_)) => return vec![change(J::SchemaAdded, path.to_string())],
            (Some(_), None) => return vec![change(J::SchemaRemoved, path.to_string())],
            (Some(o), Some(u)) => (o, u),
        };
        let shapes = (self.on(o).shape, self.up(u).shape);
        if let Some((at, changes)) = self.done.get(&shapes) {
            return moved(changes, at, path);
        }
        if self.in_progress.contains(&(o, u)) {
            return Vec::new();
        }
        if self.budget == 0 {
            return vec![change(J::TypeChanged, path.to_string())];
        }
        self.budget -= 1;
        self.in_progress.insert((o, u));
        let changes = self.compare_nodes(path, o, u);
        self.in_progress.remove(&(o, u));
        self.done
            .insert(shapes, (path.to_string(), changes.clone()));
        changes
    }

    fn compare_nodes(&mut self, path: &str, o: Id, u: Id) -> Vec<Change> {
        let (on, un) = (self.on(o), self.up(u));
        if let Some(changes) = self.one_side_combined(path, o, u) {
            return changes;
        }
        if on.kind.class() != un.kind.class() {
            if matches!(on.kind, Kind::False)
                || un.kind.accepts_anything()
                || (on.common.connect_bytes && un.common.connect_bytes)
            {
                return Vec::new();
            }
            return vec![change(J::TypeChanged, path.to_string())];
        }
        let mut out = Vec::new();
        let pairs = [
            (J::IdChanged, &on.common.id, &un.common.id),
            (J::TitleChanged, &on.common.title, &un.common.title),
            (
                J::DescriptionChanged,
                &on.common.description,
                &un.common.description,
            ),
            (J::DefaultChanged, &on.common.default, &un.common.default),
        ];
        for (kind, a, b) in pairs {
            if a != b {
                out.push(change(kind, path.to_string()));
            }
        }
        match (&on.kind, &un.kind) {
            (Kind::String(a), Kind::String(b)) => scalar::string(path, a, b, &mut out),
            (Kind::Number(a), Kind::Number(b)) => scalar::number(path, a, b, &mut out),
            (Kind::Enum(a), Kind::Enum(b)) => {
                scalar::enumeration(&join(path, "enum"), a, b, &mut out)
            }
            (Kind::Const(a), Kind::Const(b)) if a != b => {
                out.push(change(J::EnumArrayChanged, join(path, "const")))
            }
            (Kind::Not(a), Kind::Not(b)) => self.not(path, *a, *b, &mut out),
            (Kind::Combined { .. }, Kind::Combined { .. }) => self.combined(path, o, u, &mut out),
            (Kind::Object(a), Kind::Object(b)) => self.object(path, a, b, &mut out),
            (Kind::Array(a), Kind::Array(b)) => self.array(path, a, b, &mut out),
            _ => {}
        }
        out
    }

    /// A combined schema against a plain one: a singleton stands for its member; a new anyOf or
    /// oneOf that still admits the original extends it; an old allOf that the update keeps one
    /// member of narrows it. `None` when none of these applies.
    fn one_side_combined(&mut self, path: &str, o: Id, u: Id) -> Option<Vec<Change>> {
        match (&self.on(o).kind, &self.up(u).kind) {
            (Kind::Combined { .. }, Kind::Combined { .. }) => None,
            (_, Kind::Combined { criterion, members }) => {
                let (criterion, members) = (*criterion, members.clone());
                if members.len() == 1 {
                    let changes = self.compare(path, Some(o), Some(members[0]));
                    if compatible(&changes) {
                        return Some(changes);
                    }
                }
                if criterion != Criterion::AllOf {
                    for m in members {
                        let mut changes = self.compare(path, Some(o), Some(m));
                        if compatible(&changes) {
                            changes.push(change(J::SumTypeExtended, path.to_string()));
                            return Some(changes);
                        }
                    }
                }
                None
            }
            (Kind::Combined { criterion, members }, _) => {
                let (criterion, members) = (*criterion, members.clone());
                if members.len() == 1 {
                    let changes = self.compare(path, Some(members[0]), Some(u));
                    if compatible(&changes) {
                        return Some(changes);
                    }
                }
                if criterion == Criterion::AllOf {
                    for m in members {
                        let mut changes = self.compare(path, Some(m), Some(u));
                        if compatible(&changes) {
                            changes.push(change(J::ProductTypeNarrowed, path.to_string()));
                            return Some(changes);
                        }
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// `not`: the inner schemas compared the other way round; only the verdict is reported.
    fn not(&mut self, path: &str, o: Id, u: Id, out: &mut Vec<Change>) {
        let path = join(path, "not");
        // The update's inner schema plays the original: new `not` must exclude at least as much.
        let mut reversed = Walk::new(self.u, self.o, self.budget);
        let inner = reversed.compare(&path, Some(u), Some(o));
        self.budget = reversed.budget;
        let kind = if compatible(&inner) {
            J::NotTypeNarrowed
        } else {
            J::NotTypeExtended
        };
        out.push(change(kind, path));
    }
}
