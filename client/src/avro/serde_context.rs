//! What every level of a serde read or write shares: the named types the schema uses, and
//! apache-avro's serde setting.

use apache_avro::schema::{Name, NamesRef};
use apache_avro::Schema;

#[derive(Clone, Copy)]
pub(super) struct Context<'s> {
    pub(super) names: &'s NamesRef<'s>,
    /// Whether serde types pick their human-readable form (apache-avro's setting).
    pub(super) human_readable: bool,
}

/// A reference to a named type the schema does not define.
pub(super) struct Undefined<'s>(pub(super) &'s Name);

impl<'s> Context<'s> {
    /// `schema`, or the named type it refers to.
    #[inline]
    pub(super) fn resolve(self, schema: &'s Schema) -> Result<&'s Schema, Undefined<'s>> {
        match schema {
            Schema::Ref { name } => self.names.get(name).copied().ok_or(Undefined(name)),
            schema => Ok(schema),
        }
    }
}
