//! Arrays: the list-form `items` schema, tuples against their content models (compat-rules
//! §3.3), `additionalItems`, `unevaluatedItems`, and the counting keywords.

use super::super::model::{ArraySchema, Extra, Kind};
use super::super::rules::{change, JsonChange as J};
use super::object::{ExtraKinds, Model};
use super::scalar::{bound, Bound};
use super::{compatible, join, Walk};
use crate::Change;

impl ArraySchema {
    /// The content model for items beyond the tuple.
    fn model(&self) -> Model {
        let trivial = |e: &Extra| e.permitted && e.schema.is_none();
        if trivial(&self.additional) && self.unevaluated.as_ref().is_none_or(trivial) {
            return Model::Open;
        }
        match (
            self.additional.schema,
            self.unevaluated.and_then(|u| u.schema),
        ) {
            (Some(id), _) | (None, Some(id)) => Model::Partial(id),
            (None, None) => Model::Closed,
        }
    }
}

impl Walk<'_> {
    pub(super) fn array(
        &mut self,
        path: &str,
        o: &ArraySchema,
        u: &ArraySchema,
        out: &mut Vec<Change>,
    ) {
        out.extend(self.compare(&join(path, "items"), o.items, u.items));
        self.tuple(path, o, u, out);
        let additional = ExtraKinds {
            keyword: "additionalItems",
            added: J::AdditionalItemsAdded,
            removed: J::AdditionalItemsRemoved,
            narrowed: J::AdditionalItemsNarrowed,
            extended: J::AdditionalItemsExtended,
        };
        self.extra(path, additional, &o.additional, &u.additional, out);
        let unevaluated = ExtraKinds {
            keyword: "unevaluatedItems",
            added: J::UnevaluatedItemsAdded,
            removed: J::UnevaluatedItemsRemoved,
            narrowed: J::UnevaluatedItemsNarrowed,
            extended: J::UnevaluatedItemsExtended,
        };
        self.extra(
            path,
            unevaluated,
            &o.unevaluated.unwrap_or_default(),
            &u.unevaluated.unwrap_or_default(),
            out,
        );
        let max = Bound {
            keyword: "maxItems",
            added: J::MaxItemsAdded,
            removed: J::MaxItemsRemoved,
            increased: J::MaxItemsIncreased,
            decreased: J::MaxItemsDecreased,
        };
        bound(path, max, o.max_items, u.max_items, out);
        let min = Bound {
            keyword: "minItems",
            added: J::MinItemsAdded,
            removed: J::MinItemsRemoved,
            increased: J::MinItemsIncreased,
            decreased: J::MinItemsDecreased,
        };
        bound(path, min, o.min_items, u.min_items, out);
        match (o.unique_items, u.unique_items) {
            (false, true) => out.push(change(J::UniqueItemsAdded, join(path, "uniqueItems"))),
            (true, false) => out.push(change(J::UniqueItemsRemoved, join(path, "uniqueItems"))),
            _ => {}
        }
        let max = Bound {
            keyword: "maxContains",
            added: J::MaxContainsAdded,
            removed: J::MaxContainsRemoved,
            increased: J::MaxContainsIncreased,
            decreased: J::MaxContainsDecreased,
        };
        bound(path, max, o.max_contains, u.max_contains, out);
        let min = Bound {
            keyword: "minContains",
            added: J::MinContainsAdded,
            removed: J::MinContainsRemoved,
            increased: J::MinContainsIncreased,
            decreased: J::MinContainsDecreased,
        };
        bound(path, min, o.min_contains, u.min_contains, out);
    }

    /// Positional items: shared positions compared, extra ones judged by the other side's model.
    fn tuple(&mut self, path: &str, o: &ArraySchema, u: &ArraySchema, out: &mut Vec<Change>) {
        let (ot, ut) = (
            o.tuple.as_deref().unwrap_or_default(),
            u.tuple.as_deref().unwrap_or_default(),
        );
        for i in 0..ot.len().max(ut.len()) {
            let at = join(path, &format!("items/{i}"));
            match (ot.get(i), ut.get(i)) {
                (Some(&a), Some(&b)) => out.extend(self.compare(&at, Some(a), Some(b))),
                (Some(&a), None) => {
                    let kind = match u.model() {
                        Model::Open => J::ItemRemovedFromOpenContentModel,
                        Model::Partial(covering) => {
                            let changes = self.compare(&at, Some(a), Some(covering));
                            let kind = if compatible(&changes) {
                                J::ItemRemovedIsCoveredByPartiallyOpenContentModel
                            } else {
                                J::ItemRemovedNotCoveredByPartiallyOpenContentModel
                            };
                            out.extend(changes);
                            kind
                        }
                        Model::Closed if matches!(self.on(a).kind, Kind::False) => {
                            J::ItemWithFalseRemovedFromClosedContentModel
                        }
                        Model::Closed => J::ItemRemovedFromClosedContentModel,
                    };
                    out.push(change(kind, at));
                }
                (None, Some(&b)) => {
                    let kind = match o.model() {
                        Model::Open if self.up(b).kind.accepts_anything() => {
                            J::ItemWithEmptySchemaAddedToOpenContentModel
                        }
                        Model::Open => J::ItemAddedToOpenContentModel,
                        Model::Partial(covering) => {
                            let changes = self.compare(&at, Some(covering), Some(b));
                            let kind = if compatible(&changes) {
                                J::ItemAddedIsCoveredByPartiallyOpenContentModel
                            } else {
                                J::ItemAddedNotCoveredByPartiallyOpenContentModel
                            };
                            out.extend(changes);
                            kind
                        }
                        Model::Closed => J::ItemAddedToClosedContentModel,
                    };
                    out.push(change(kind, at));
                }
                (None, None) => {}
            }
        }
    }
}
