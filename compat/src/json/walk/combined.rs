//! allOf, anyOf and oneOf against each other: the criterion, the member counts, and the members
//! paired by a maximum bipartite matching of the compatible pairs.

use super::super::model::{Criterion, Id, Kind};
use super::super::rules::{change, JsonChange as J};
use super::{compatible, join, Walk};
use crate::Change;

/// Whether a change of criterion only admits more documents (compat-rules §3.2, Combined).
fn criterion_extended(o: Criterion, o_len: usize, u: Criterion, u_len: usize) -> bool {
    u == Criterion::AnyOf
        || (o_len == 1 && u_len == 1)
        || (o_len == 1 && u == Criterion::OneOf)
        || (u_len == 1 && o == Criterion::AllOf)
}

impl Walk<'_> {
    pub(super) fn combined(&mut self, path: &str, o: Id, u: Id, out: &mut Vec<Change>) {
        let (
            Kind::Combined {
                criterion: oc,
                members: om,
            },
            Kind::Combined {
                criterion: uc,
                members: um,
            },
        ) = (&self.on(o).kind, &self.up(u).kind)
        else {
            return;
        };
        let (oc, uc) = (*oc, *uc);
        if oc != uc {
            if criterion_extended(oc, om.len(), uc, um.len()) {
                out.push(change(J::CombinedTypeExtended, path.to_string()));
            } else {
                out.push(change(J::CombinedTypeChanged, path.to_string()));
                return;
            }
        }
        let om = self.distinct(om, true);
        let um = self.distinct(um, false);
        if um.len() > om.len() {
            let kind = if uc == Criterion::AllOf {
                J::ProductTypeExtended
            } else {
                J::SumTypeExtended
            };
            out.push(change(kind, path.to_string()));
        } else if um.len() < om.len() {
            let kind = if oc == Criterion::AllOf {
                J::ProductTypeNarrowed
            } else {
                J::SumTypeNarrowed
            };
            out.push(change(kind, path.to_string()));
        }
        // Every compatible (original, update) pair, with its differences.
        let mut edges: Vec<Vec<(usize, Vec<Change>)>> = Vec::with_capacity(om.len());
        for (i, &a) in om.iter().enumerate() {
            let member_path = join(path, &format!("{}/{i}", oc.keyword()));
            let mut row = Vec::new();
            for (j, &b) in um.iter().enumerate() {
                let changes = self.compare(&member_path, Some(a), Some(b));
                if compatible(&changes) {
                    row.push((j, changes));
                }
            }
            edges.push(row);
        }
        let matched = maximum_matching(&edges, um.len());
        let mut size = 0;
        for (j, i) in matched.iter().enumerate() {
            let Some(i) = i else { continue };
            size += 1;
            let (_, changes) = edges[*i]
                .iter()
                .find(|(b, _)| *b == j)
                .expect("matched pairs are edges");
            out.extend(changes.iter().cloned());
        }
        if size < om.len().min(um.len()) {
            out.push(change(J::CombinedTypeSubschemasChanged, path.to_string()));
        }
    }

    /// Members with duplicates (the same JSON) dropped, the first kept.
    fn distinct(&self, members: &[Id], original: bool) -> Vec<Id> {
        let shape = |id: Id| {
            if original {
                self.on(id).shape
            } else {
                self.up(id).shape
            }
        };
        let mut kept: Vec<Id> = Vec::with_capacity(members.len());
        for &m in members {
            if !kept.iter().any(|&k| shape(k) == shape(m)) {
                kept.push(m);
            }
        }
        kept
    }
}

/// A maximum matching of left vertices to right ones (Kuhn's augmenting paths): for each right
/// vertex, the left vertex matched to it. Members are few, so the cubic bound does not matter.
fn maximum_matching<T>(edges: &[Vec<(usize, T)>], right: usize) -> Vec<Option<usize>> {
    fn augment<T>(
        i: usize,
        edges: &[Vec<(usize, T)>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for (j, _) in &edges[i] {
            if seen[*j] {
                continue;
            }
            seen[*j] = true;
            if owner[*j].is_none_or(|k| augment(k, edges, seen, owner)) {
                owner[*j] = Some(i);
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; right];
    for i in 0..edges.len() {
        let mut seen = vec![false; right];
        augment(i, edges, &mut seen, &mut owner);
    }
    owner
}
