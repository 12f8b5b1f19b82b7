//! Objects: `required`, properties against the content models (compat-rules §3.3),
//! dependencies, `additionalProperties`, `unevaluatedProperties` and the property counts.

use super::super::model::{Dependency, Extra, Id, Kind, ObjectSchema};
use super::super::rules::{change, JsonChange as J};
use super::scalar::{bound, Bound};
use super::{compatible, join, Walk};
use crate::Change;

/// The change types for an `additionalProperties`-style keyword.
pub(super) struct ExtraKinds {
    pub(super) keyword: &'static str,
    pub(super) added: J,
    pub(super) removed: J,
    pub(super) narrowed: J,
    pub(super) extended: J,
}

/// A content model, as seen by one property or item.
pub(super) enum Model {
    Open,
    /// Covered by this schema.
    Partial(Id),
    Closed,
}

impl ObjectSchema {
    fn is_open(&self) -> bool {
        is_trivial(&self.additional)
            && self.pattern_properties.is_empty()
            && self.unevaluated.as_ref().is_none_or(is_trivial)
    }

    /// The content model for property `name` (Confluent's quirk: unmatched patterns close it).
    fn model_for(&self, name: &str) -> Model {
        if self.is_open() {
            return Model::Open;
        }
        let matched = self
            .pattern_properties
            .iter()
            .find(|(pattern, _)| regex::Regex::new(pattern).is_ok_and(|re| re.is_match(name)));
        if let Some((_, id)) = matched {
            return Model::Partial(*id);
        }
        if let Some(id) = self.additional.schema {
            return Model::Partial(id);
        }
        if is_trivial(&self.additional) {
            if let Some(id) = self.unevaluated.and_then(|u| u.schema) {
                return Model::Partial(id);
            }
        }
        Model::Closed
    }
}

/// Absent or `true`.
fn is_trivial(extra: &Extra) -> bool {
    extra.permitted && extra.schema.is_none()
}

impl Walk<'_> {
    pub(super) fn object(
        &mut self,
        path: &str,
        o: &ObjectSchema,
        u: &ObjectSchema,
        out: &mut Vec<Change>,
    ) {
        for name in o.properties.keys() {
            if !u.properties.contains_key(name) {
                continue;
            }
            let at = join(path, &format!("required/{name}"));
            match (o.required.contains(name), u.required.contains(name)) {
                (true, false) => out.push(change(J::RequiredAttributeRemoved, at)),
                (false, true) => {
                    let with_default = self.up(u.properties[name]).common.default.is_some();
                    out.push(change(
                        if with_default {
                            J::RequiredAttributeWithDefaultAdded
                        } else {
                            J::RequiredAttributeAdded
                        },
                        at,
                    ));
                }
                _ => {}
            }
        }
        self.properties(path, o, u, out);
        self.dependencies(path, o, u, out);
        let additional = ExtraKinds {
            keyword: "additionalProperties",
            added: J::AdditionalPropertiesAdded,
            removed: J::AdditionalPropertiesRemoved,
            narrowed: J::AdditionalPropertiesNarrowed,
            extended: J::AdditionalPropertiesExtended,
        };
        self.extra(path, additional, &o.additional, &u.additional, out);
        let unevaluated = ExtraKinds {
            keyword: "unevaluatedProperties",
            added: J::UnevaluatedPropertiesAdded,
            removed: J::UnevaluatedPropertiesRemoved,
            narrowed: J::UnevaluatedPropertiesNarrowed,
            extended: J::UnevaluatedPropertiesExtended,
        };
        self.extra(
            path,
            unevaluated,
            &o.unevaluated.unwrap_or_default(),
            &u.unevaluated.unwrap_or_default(),
            out,
        );
        let max = Bound {
            keyword: "maxProperties",
            added: J::MaxPropertiesAdded,
            removed: J::MaxPropertiesRemoved,
            increased: J::MaxPropertiesIncreased,
            decreased: J::MaxPropertiesDecreased,
        };
        bound(path, max, o.max_properties, u.max_properties, out);
        let min = Bound {
            keyword: "minProperties",
            added: J::MinPropertiesAdded,
            removed: J::MinPropertiesRemoved,
            increased: J::MinPropertiesIncreased,
            decreased: J::MinPropertiesDecreased,
        };
        bound(path, min, o.min_properties, u.min_properties, out);
    }

    fn properties(
        &mut self,
        path: &str,
        o: &ObjectSchema,
        u: &ObjectSchema,
        out: &mut Vec<Change>,
    ) {
        for (name, &a) in &o.properties {
            let at = join(path, &format!("properties/{name}"));
            match u.properties.get(name) {
                Some(&b) => out.extend(self.compare(&at, Some(a), Some(b))),
                None => self.property_removed(&at, a, u.model_for(name), out),
            }
        }
        for (name, &b) in &u.properties {
            if o.properties.contains_key(name) {
                continue;
            }
            let at = join(path, &format!("properties/{name}"));
            let required = u.required.contains(name);
            let with_default = self.up(b).common.default.is_some();
            match o.model_for(name) {
                Model::Open => {
                    let kind = if self.up(b).kind.accepts_anything() {
                        J::PropertyWithEmptySchemaAddedToOpenContentModel
                    } else if required && with_default {
                        J::RequiredPropertyWithDefaultAddedToOpenContentModel
                    } else if required {
                        J::RequiredPropertyAddedToOpenContentModel
                    } else {
                        J::OptionalPropertyAddedToOpenContentModel
                    };
                    out.push(change(kind, at));
                }
                unopen => {
                    let kind = if required && with_default {
                        J::RequiredPropertyWithDefaultAddedToUnopenContentModel
                    } else if required {
                        J::RequiredPropertyAddedToUnopenContentModel
                    } else {
                        J::OptionalPropertyAddedToUnopenContentModel
                    };
                    out.push(change(kind, at.clone()));
                    if let Model::Partial(covering) = unopen {
                        let changes = self.compare(&at, Some(covering), Some(b));
                        let kind = if compatible(&changes) {
                            J::PropertyAddedIsCoveredByPartiallyOpenContentModel
                        } else {
                            J::PropertyAddedNotCoveredByPartiallyOpenContentModel
                        };
                        out.extend(changes);
                        out.push(change(kind, at));
                    }
                }
            }
        }
    }

    fn property_removed(&mut self, at: &str, removed: Id, model: Model, out: &mut Vec<Change>) {
        let kind = match model {
            Model::Open => J::PropertyRemovedFromOpenContentModel,
            Model::Partial(covering) => {
                let changes = self.compare(at, Some(removed), Some(covering));
                let kind = if compatible(&changes) {
                    J::PropertyRemovedIsCoveredByPartiallyOpenContentModel
                } else {
                    J::PropertyRemovedNotCoveredByPartiallyOpenContentModel
                };
                out.extend(changes);
                kind
            }
            Model::Closed if matches!(self.on(removed).kind, Kind::False) => {
                J::PropertyWithFalseRemovedFromClosedContentModel
            }
            Model::Closed => J::PropertyRemovedFromClosedContentModel,
        };
        out.push(change(kind, at.to_string()));
    }

    fn dependencies(
        &mut self,
        path: &str,
        o: &ObjectSchema,
        u: &ObjectSchema,
        out: &mut Vec<Change>,
    ) {
        let arrays = |s: &ObjectSchema, name: &str| match s.dependencies.get(name) {
            Some(Dependency::Properties(names)) => Some(names.clone()),
            _ => None,
        };
        let schema = |s: &ObjectSchema, name: &str| match s.dependencies.get(name) {
            Some(Dependency::Schema(id)) => Some(*id),
            _ => None,
        };
        let mut names: Vec<&String> = o.dependencies.keys().collect();
        names.extend(
            u.dependencies
                .keys()
                .filter(|n| !o.dependencies.contains_key(*n)),
        );
        for name in names {
            let at = join(path, &format!("dependencies/{name}"));
            let kind = match (arrays(o, name), arrays(u, name)) {
                (Some(_), None) => Some(J::DependencyArrayRemoved),
                (None, Some(_)) => Some(J::DependencyArrayAdded),
                (Some(a), Some(b)) => {
                    let all_in = |xs: &[String], ys: &[String]| xs.iter().all(|x| ys.contains(x));
                    match (all_in(&a, &b), all_in(&b, &a)) {
                        (true, true) => None,
                        (true, false) => Some(J::DependencyArrayExtended),
                        (false, true) => Some(J::DependencyArrayNarrowed),
                        (false, false) => Some(J::DependencyArrayChanged),
                    }
                }
                (None, None) => None,
            };
            if let Some(kind) = kind {
                out.push(change(kind, at.clone()));
            }
            match (schema(o, name), schema(u, name)) {
                (Some(_), None) => out.push(change(J::DependencySchemaRemoved, at)),
                (None, Some(_)) => out.push(change(J::DependencySchemaAdded, at)),
                (Some(a), Some(b)) => out.extend(self.compare(&at, Some(a), Some(b))),
                (None, None) => {}
            }
        }
    }

    /// `additionalProperties`, `additionalItems` and the `unevaluated*` keywords.
    pub(super) fn extra(
        &mut self,
        path: &str,
        kinds: ExtraKinds,
        o: &Extra,
        u: &Extra,
        out: &mut Vec<Change>,
    ) {
        let at = join(path, kinds.keyword);
        match (o.permitted, u.permitted) {
            (false, true) => out.push(change(kinds.added, at)),
            (true, false) => out.push(change(kinds.removed, at)),
            (false, false) => {}
            (true, true) => match (o.schema, u.schema) {
                (None, Some(_)) => out.push(change(kinds.narrowed, at)),
                (Some(_), None) => out.push(change(kinds.extended, at)),
                (Some(a), Some(b)) => out.extend(self.compare(&at, Some(a), Some(b))),
                (None, None) => {}
            },
        }
    }
}
