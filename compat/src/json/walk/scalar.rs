//! Strings, numbers and enums: bounds added, removed, raised or lowered; patterns; enum sets.

use serde_json::Value;

use super::super::model::{NumberSchema, StringSchema};
use super::super::rules::{change, JsonChange as J};
use super::join;
use crate::Change;

/// The four outcomes of a bound: added, removed, increased, decreased.
pub(super) struct Bound {
    pub(super) keyword: &'static str,
    pub(super) added: J,
    pub(super) removed: J,
    pub(super) increased: J,
    pub(super) decreased: J,
}

pub(super) fn bound(path: &str, b: Bound, o: Option<f64>, u: Option<f64>, out: &mut Vec<Change>) {
    let kind = match (o, u) {
        (None, Some(_)) => b.added,
        (Some(_), None) => b.removed,
        (Some(o), Some(u)) if u > o => b.increased,
        (Some(o), Some(u)) if u < o => b.decreased,
        _ => return,
    };
    out.push(change(kind, join(path, b.keyword)));
}

pub(super) fn string(path: &str, o: &StringSchema, u: &StringSchema, out: &mut Vec<Change>) {
    let max = Bound {
        keyword: "maxLength",
        added: J::MaxLengthAdded,
        removed: J::MaxLengthRemoved,
        increased: J::MaxLengthIncreased,
        decreased: J::MaxLengthDecreased,
    };
    bound(path, max, o.max_length, u.max_length, out);
    let min = Bound {
        keyword: "minLength",
        added: J::MinLengthAdded,
        removed: J::MinLengthRemoved,
        increased: J::MinLengthIncreased,
        decreased: J::MinLengthDecreased,
    };
    bound(path, min, o.min_length, u.min_length, out);
    let kind = match (&o.pattern, &u.pattern) {
        (None, Some(_)) => J::PatternAdded,
        (Some(_), None) => J::PatternRemoved,
        (Some(a), Some(b)) if a != b => J::PatternChanged,
        _ => return,
    };
    out.push(change(kind, join(path, "pattern")));
}

pub(super) fn number(path: &str, o: &NumberSchema, u: &NumberSchema, out: &mut Vec<Change>) {
    let bounds = [
        (
            Bound {
                keyword: "maximum",
                added: J::MaximumAdded,
                removed: J::MaximumRemoved,
                increased: J::MaximumIncreased,
                decreased: J::MaximumDecreased,
            },
            o.maximum,
            u.maximum,
        ),
        (
            Bound {
                keyword: "minimum",
                added: J::MinimumAdded,
                removed: J::MinimumRemoved,
                increased: J::MinimumIncreased,
                decreased: J::MinimumDecreased,
            },
            o.minimum,
            u.minimum,
        ),
        (
            Bound {
                keyword: "exclusiveMaximum",
                added: J::ExclusiveMaximumAdded,
                removed: J::ExclusiveMaximumRemoved,
                increased: J::ExclusiveMaximumIncreased,
                decreased: J::ExclusiveMaximumDecreased,
            },
            o.exclusive_maximum,
            u.exclusive_maximum,
        ),
        (
            Bound {
                keyword: "exclusiveMinimum",
                added: J::ExclusiveMinimumAdded,
                removed: J::ExclusiveMinimumRemoved,
                increased: J::ExclusiveMinimumIncreased,
                decreased: J::ExclusiveMinimumDecreased,
            },
            o.exclusive_minimum,
            u.exclusive_minimum,
        ),
    ];
    for (b, a, c) in bounds {
        bound(path, b, a, c, out);
    }
    let multiple = match (o.multiple_of, u.multiple_of) {
        (None, Some(_)) => Some(J::MultipleOfAdded),
        (Some(_), None) => Some(J::MultipleOfRemoved),
        (Some(a), Some(b)) if a == b => None,
        (Some(a), Some(b)) if is_multiple(b, a) => Some(J::MultipleOfExpanded),
        (Some(a), Some(b)) if is_multiple(a, b) => Some(J::MultipleOfReduced),
        (Some(_), Some(_)) => Some(J::MultipleOfChanged),
        (None, None) => None,
    };
    if let Some(kind) = multiple {
        out.push(change(kind, join(path, "multipleOf")));
    }
    match (o.integer, u.integer) {
        (true, false) => out.push(change(J::TypeExtended, path.to_string())),
        (false, true) => out.push(change(J::TypeNarrowed, path.to_string())),
        _ => {}
    }
}

/// Whether `a` is a whole multiple of `b` (decimal values, compared with a tolerance).
fn is_multiple(a: f64, b: f64) -> bool {
    if b == 0.0 {
        return false;
    }
    let q = a / b;
    (q - q.round()).abs() < 1e-9
}

/// Enum value sets: a superset extends, a subset narrows, anything else changes.
pub(super) fn enumeration(path: &str, o: &[Value], u: &[Value], out: &mut Vec<Change>) {
    let all_in = |xs: &[Value], ys: &[Value]| xs.iter().all(|x| ys.contains(x));
    let kind = match (all_in(o, u), all_in(u, o)) {
        (true, true) => return,
        (true, false) => J::EnumArrayExtended,
        (false, true) => J::EnumArrayNarrowed,
        (false, false) => J::EnumArrayChanged,
    };
    out.push(change(kind, path.to_string()));
}
