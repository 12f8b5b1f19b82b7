//! The Protobuf difference types of Confluent's diff, which are compatible, and how each reads.

use serde::Serialize;

use crate::{Change, ChangeKind, Role};

/// A difference between two Protobuf schemas (compat-rules §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProtobufChange {
    PackageChanged,
    MessageAdded,
    MessageRemoved,
    MessageMoved,
    EnumAdded,
    EnumRemoved,
    EnumConstAdded,
    EnumConstChanged,
    EnumConstRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNameChanged,
    FieldKindChanged,
    FieldScalarKindChanged,
    FieldNamedTypeChanged,
    FieldNumericLabelChanged,
    FieldStringOrBytesLabelChanged,
    RequiredFieldAdded,
    RequiredFieldRemoved,
    OneofAdded,
    OneofRemoved,
    OneofFieldAdded,
    OneofFieldRemoved,
    OneofFieldMovedToTopLevel,
    MultipleFieldsMovedToOneof,
    FieldMovedToExistingOneof,
}

impl ProtobufChange {
    pub fn id(self) -> &'static str {
        use ProtobufChange::*;
        match self {
            PackageChanged => "PACKAGE_CHANGED",
            MessageAdded => "MESSAGE_ADDED",
            MessageRemoved => "MESSAGE_REMOVED",
            MessageMoved => "MESSAGE_MOVED",
            EnumAdded => "ENUM_ADDED",
            EnumRemoved => "ENUM_REMOVED",
            EnumConstAdded => "ENUM_CONST_ADDED",
            EnumConstChanged => "ENUM_CONST_CHANGED",
            EnumConstRemoved => "ENUM_CONST_REMOVED",
            FieldAdded => "FIELD_ADDED",
            FieldRemoved => "FIELD_REMOVED",
            FieldNameChanged => "FIELD_NAME_CHANGED",
            FieldKindChanged => "FIELD_KIND_CHANGED",
            FieldScalarKindChanged => "FIELD_SCALAR_KIND_CHANGED",
            FieldNamedTypeChanged => "FIELD_NAMED_TYPE_CHANGED",
            FieldNumericLabelChanged => "FIELD_NUMERIC_LABEL_CHANGED",
            FieldStringOrBytesLabelChanged => "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
            RequiredFieldAdded => "REQUIRED_FIELD_ADDED",
            RequiredFieldRemoved => "REQUIRED_FIELD_REMOVED",
            OneofAdded => "ONEOF_ADDED",
            OneofRemoved => "ONEOF_REMOVED",
            OneofFieldAdded => "ONEOF_FIELD_ADDED",
            OneofFieldRemoved => "ONEOF_FIELD_REMOVED",
            OneofFieldMovedToTopLevel => "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
            MultipleFieldsMovedToOneof => "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
            FieldMovedToExistingOneof => "FIELD_MOVED_TO_EXISTING_ONEOF",
        }
    }

    /// Confluent's `COMPATIBLE_CHANGES`: what a new reader can live with.
    pub fn is_compatible(self) -> bool {
        use ProtobufChange::*;
        match self {
            MessageAdded
            | MessageMoved
            | EnumAdded
            | EnumRemoved
            | EnumConstAdded
            | EnumConstChanged
            | EnumConstRemoved
            | FieldAdded
            | FieldRemoved
            | FieldNameChanged
            | FieldStringOrBytesLabelChanged
            | OneofAdded
            | OneofRemoved
            | OneofFieldAdded
            | OneofFieldMovedToTopLevel => true,
            PackageChanged
            | MessageRemoved
            | FieldKindChanged
            | FieldScalarKindChanged
            | FieldNamedTypeChanged
            | FieldNumericLabelChanged
            | RequiredFieldAdded
            | RequiredFieldRemoved
            | OneofFieldRemoved
            | MultipleFieldsMovedToOneof
            | FieldMovedToExistingOneof => false,
        }
    }

    /// Confluent's message: `{errorType:"…", description:"…"}`.
    pub(crate) fn message(self, change: &Change, reader: Role, writer: Role) -> String {
        use ProtobufChange::*;
        let path = &change.path;
        let description = match self {
            PackageChanged => format!("The package at '{path}' in the {reader} schema does not match the package in the {writer} schema"),
            MessageRemoved => format!("The {reader} schema is missing a MESSAGE type at path '{path}' in the {writer} schema"),
            FieldKindChanged => format!("The type of a field at path '{path}' in the {reader} schema does not match the {writer} schema"),
            FieldScalarKindChanged => format!("The kind of a SCALAR field at path '{path}' in the {reader} schema does not match its kind in the {writer} schema"),
            FieldNamedTypeChanged => format!("The type of a MESSAGE field at path '{path}' in the {reader} schema does not match its type in the {writer} schema"),
            FieldNumericLabelChanged => format!("The label for a NUMERIC field at path '{path}' in the {reader} schema does not match its label in the {writer} schema"),
            RequiredFieldAdded => format!("A required field  at path '{path}' in the {reader} schema is missing in the {writer} schema"),
            RequiredFieldRemoved => format!("The {reader} schema is missing a required field at path: '{path}' in the {writer} schema"),
            OneofFieldRemoved => format!("The {reader} schema is missing a oneof field at path '{path}' in the {writer} schema"),
            OneofFieldMovedToTopLevel => format!("The oneof field at path '{path}' in the {reader} schema was moved out of its oneof to a top-level field in the {writer} schema"),
            MultipleFieldsMovedToOneof => format!("Multiple fields in the oneof at path '{path}' in the {reader} schema are outside a oneof in the {writer} schema"),
            FieldMovedToExistingOneof => format!("A field in the oneof at path '{path}' in the {reader} schema is outside an existing oneof in the {writer} schema"),
            // Compatible kinds have no message in Confluent; they are only ever shown by the diff.
            other => format!("{} at path '{path}'", other.id()),
        };
        format!(
            "{{errorType:\"{}\", description:\"{description}\"}}",
            self.id()
        )
    }
}

/// A change at `path`.
pub(super) fn change(kind: ProtobufChange, path: String) -> Change {
    Change {
        kind: ChangeKind::Protobuf(kind),
        path,
        info: None,
    }
}
