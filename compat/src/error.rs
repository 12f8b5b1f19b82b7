//! The one error type of this crate: a schema that cannot be used.
//!
//! Incompatibility is not an error: [`crate::check`] returns it as a value. `ParseError` is for
//! text that is not a valid schema of its type.

/// Why a schema text was rejected. The message names what is wrong and where, for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text is not a valid schema of its type.
    #[error("{0}")]
    Invalid(String),
}

impl ParseError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ParseError::Invalid(message.into())
    }
}
