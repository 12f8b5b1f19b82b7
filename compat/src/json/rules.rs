//! JSON Schema difference types (compat-rules §3.4, §3.5): the ids, which are compatible under
//! the STRICT and LENIENT policies (one exhaustive match), and Confluent's messages, quirks
//! included (descriptions open with `"` and close with `'`; "The {reader} has a closed content
//! model" lacks "schema").

use serde::Serialize;

use crate::{Change, ChangeKind, Policy, Role};

/// A difference between two JSON Schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JsonChange {
    IdChanged,
    DescriptionChanged,
    TitleChanged,
    DefaultChanged,
    SchemaRemoved,
    TypeExtended,
    MaxLengthRemoved,
    MaxLengthIncreased,
    MinLengthRemoved,
    MinLengthDecreased,
    PatternRemoved,
    MaximumRemoved,
    MaximumIncreased,
    MinimumRemoved,
    MinimumDecreased,
    ExclusiveMaximumRemoved,
    ExclusiveMaximumIncreased,
    ExclusiveMinimumRemoved,
    ExclusiveMinimumDecreased,
    MultipleOfRemoved,
    MultipleOfReduced,
    RequiredAttributeWithDefaultAdded,
    RequiredAttributeRemoved,
    MaxPropertiesRemoved,
    MaxPropertiesIncreased,
    MinPropertiesRemoved,
    MinPropertiesDecreased,
    AdditionalPropertiesAdded,
    AdditionalPropertiesExtended,
    DependencyArrayRemoved,
    DependencyArrayNarrowed,
    DependencySchemaRemoved,
    PropertyWithEmptySchemaAddedToOpenContentModel,
    RequiredPropertyWithDefaultAddedToUnopenContentModel,
    OptionalPropertyAddedToUnopenContentModel,
    PropertyRemovedFromOpenContentModel,
    PropertyWithFalseRemovedFromClosedContentModel,
    PropertyRemovedIsCoveredByPartiallyOpenContentModel,
    PropertyAddedIsCoveredByPartiallyOpenContentModel,
    UnevaluatedPropertiesAdded,
    UnevaluatedPropertiesExtended,
    MaxItemsRemoved,
    MaxItemsIncreased,
    MinItemsRemoved,
    MinItemsDecreased,
    MaxContainsRemoved,
    MaxContainsIncreased,
    MinContainsRemoved,
    MinContainsDecreased,
    UniqueItemsRemoved,
    AdditionalItemsAdded,
    AdditionalItemsExtended,
    UnevaluatedItemsAdded,
    UnevaluatedItemsExtended,
    ItemWithEmptySchemaAddedToOpenContentModel,
    ItemAddedToClosedContentModel,
    ItemRemovedFromOpenContentModel,
    ItemWithFalseRemovedFromClosedContentModel,
    ItemRemovedIsCoveredByPartiallyOpenContentModel,
    ItemAddedIsCoveredByPartiallyOpenContentModel,
    EnumArrayExtended,
    CombinedTypeExtended,
    ProductTypeNarrowed,
    SumTypeExtended,
    NotTypeNarrowed,
    SchemaAdded,
    TypeNarrowed,
    TypeChanged,
    MaxLengthAdded,
    MaxLengthDecreased,
    MinLengthAdded,
    MinLengthIncreased,
    PatternAdded,
    PatternChanged,
    MaximumAdded,
    MaximumDecreased,
    MinimumAdded,
    MinimumIncreased,
    ExclusiveMaximumAdded,
    ExclusiveMaximumDecreased,
    ExclusiveMinimumAdded,
    ExclusiveMinimumIncreased,
    MultipleOfAdded,
    MultipleOfExpanded,
    MultipleOfChanged,
    RequiredAttributeAdded,
    MaxPropertiesAdded,
    MaxPropertiesDecreased,
    MinPropertiesAdded,
    MinPropertiesIncreased,
    AdditionalPropertiesRemoved,
    AdditionalPropertiesNarrowed,
    DependencyArrayAdded,
    DependencyArrayExtended,
    DependencyArrayChanged,
    DependencySchemaAdded,
    RequiredPropertyAddedToOpenContentModel,
    RequiredPropertyWithDefaultAddedToOpenContentModel,
    OptionalPropertyAddedToOpenContentModel,
    RequiredPropertyAddedToUnopenContentModel,
    PropertyRemovedFromClosedContentModel,
    PropertyRemovedNotCoveredByPartiallyOpenContentModel,
    PropertyAddedNotCoveredByPartiallyOpenContentModel,
    UnevaluatedPropertiesRemoved,
    UnevaluatedPropertiesNarrowed,
    MaxItemsAdded,
    MaxItemsDecreased,
    MinItemsAdded,
    MinItemsIncreased,
    MaxContainsAdded,
    MaxContainsDecreased,
    MinContainsAdded,
    MinContainsIncreased,
    UniqueItemsAdded,
    AdditionalItemsRemoved,
    AdditionalItemsNarrowed,
    UnevaluatedItemsRemoved,
    UnevaluatedItemsNarrowed,
    ItemAddedToOpenContentModel,
    ItemRemovedFromClosedContentModel,
    ItemRemovedNotCoveredByPartiallyOpenContentModel,
    ItemAddedNotCoveredByPartiallyOpenContentModel,
    EnumArrayNarrowed,
    EnumArrayChanged,
    CombinedTypeChanged,
    ProductTypeExtended,
    SumTypeNarrowed,
    CombinedTypeSubschemasChanged,
    NotTypeExtended,
}

impl JsonChange {
    pub fn id(self) -> &'static str {
        use JsonChange::*;
        match self {
            IdChanged => "ID_CHANGED",
            DescriptionChanged => "DESCRIPTION_CHANGED",
            TitleChanged => "TITLE_CHANGED",
            DefaultChanged => "DEFAULT_CHANGED",
            SchemaRemoved => "SCHEMA_REMOVED",
            TypeExtended => "TYPE_EXTENDED",
            MaxLengthRemoved => "MAX_LENGTH_REMOVED",
            MaxLengthIncreased => "MAX_LENGTH_INCREASED",
            MinLengthRemoved => "MIN_LENGTH_REMOVED",
            MinLengthDecreased => "MIN_LENGTH_DECREASED",
            PatternRemoved => "PATTERN_REMOVED",
            MaximumRemoved => "MAXIMUM_REMOVED",
            MaximumIncreased => "MAXIMUM_INCREASED",
            MinimumRemoved => "MINIMUM_REMOVED",
            MinimumDecreased => "MINIMUM_DECREASED",
            ExclusiveMaximumRemoved => "EXCLUSIVE_MAXIMUM_REMOVED",
            ExclusiveMaximumIncreased => "EXCLUSIVE_MAXIMUM_INCREASED",
            ExclusiveMinimumRemoved => "EXCLUSIVE_MINIMUM_REMOVED",
            ExclusiveMinimumDecreased => "EXCLUSIVE_MINIMUM_DECREASED",
            MultipleOfRemoved => "MULTIPLE_OF_REMOVED",
            MultipleOfReduced => "MULTIPLE_OF_REDUCED",
            RequiredAttributeWithDefaultAdded => "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
            RequiredAttributeRemoved => "REQUIRED_ATTRIBUTE_REMOVED",
            MaxPropertiesRemoved => "MAX_PROPERTIES_REMOVED",
            MaxPropertiesIncreased => "MAX_PROPERTIES_INCREASED",
            MinPropertiesRemoved => "MIN_PROPERTIES_REMOVED",
            MinPropertiesDecreased => "MIN_PROPERTIES_DECREASED",
            AdditionalPropertiesAdded => "ADDITIONAL_PROPERTIES_ADDED",
            AdditionalPropertiesExtended => "ADDITIONAL_PROPERTIES_EXTENDED",
            DependencyArrayRemoved => "DEPENDENCY_ARRAY_REMOVED",
            DependencyArrayNarrowed => "DEPENDENCY_ARRAY_NARROWED",
            DependencySchemaRemoved => "DEPENDENCY_SCHEMA_REMOVED",
            PropertyWithEmptySchemaAddedToOpenContentModel => {
                "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            }
            RequiredPropertyWithDefaultAddedToUnopenContentModel => {
                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
            }
            OptionalPropertyAddedToUnopenContentModel => {
                "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
            }
            PropertyRemovedFromOpenContentModel => "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
            PropertyWithFalseRemovedFromClosedContentModel => {
                "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
            }
            PropertyRemovedIsCoveredByPartiallyOpenContentModel => {
                "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
            PropertyAddedIsCoveredByPartiallyOpenContentModel => {
                "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
            UnevaluatedPropertiesAdded => "UNEVALUATED_PROPERTIES_ADDED",
            UnevaluatedPropertiesExtended => "UNEVALUATED_PROPERTIES_EXTENDED",
            MaxItemsRemoved => "MAX_ITEMS_REMOVED",
            MaxItemsIncreased => "MAX_ITEMS_INCREASED",
            MinItemsRemoved => "MIN_ITEMS_REMOVED",
            MinItemsDecreased => "MIN_ITEMS_DECREASED",
            MaxContainsRemoved => "MAX_CONTAINS_REMOVED",
            MaxContainsIncreased => "MAX_CONTAINS_INCREASED",
            MinContainsRemoved => "MIN_CONTAINS_REMOVED",
            MinContainsDecreased => "MIN_CONTAINS_DECREASED",
            UniqueItemsRemoved => "UNIQUE_ITEMS_REMOVED",
            AdditionalItemsAdded => "ADDITIONAL_ITEMS_ADDED",
            AdditionalItemsExtended => "ADDITIONAL_ITEMS_EXTENDED",
            UnevaluatedItemsAdded => "UNEVALUATED_ITEMS_ADDED",
            UnevaluatedItemsExtended => "UNEVALUATED_ITEMS_EXTENDED",
            ItemWithEmptySchemaAddedToOpenContentModel => {
                "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            }
            ItemAddedToClosedContentModel => "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
            ItemRemovedFromOpenContentModel => "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
            ItemWithFalseRemovedFromClosedContentModel => {
                "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
            }
            ItemRemovedIsCoveredByPartiallyOpenContentModel => {
                "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
            ItemAddedIsCoveredByPartiallyOpenContentModel => {
                "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
            EnumArrayExtended => "ENUM_ARRAY_EXTENDED",
            CombinedTypeExtended => "COMBINED_TYPE_EXTENDED",
            ProductTypeNarrowed => "PRODUCT_TYPE_NARROWED",
            SumTypeExtended => "SUM_TYPE_EXTENDED",
            NotTypeNarrowed => "NOT_TYPE_NARROWED",
            SchemaAdded => "SCHEMA_ADDED",
            TypeNarrowed => "TYPE_NARROWED",
            TypeChanged => "TYPE_CHANGED",
            MaxLengthAdded => "MAX_LENGTH_ADDED",
            MaxLengthDecreased => "MAX_LENGTH_DECREASED",
            MinLengthAdded => "MIN_LENGTH_ADDED",
            MinLengthIncreased => "MIN_LENGTH_INCREASED",
            PatternAdded => "PATTERN_ADDED",
            PatternChanged => "PATTERN_CHANGED",
            MaximumAdded => "MAXIMUM_ADDED",
            MaximumDecreased => "MAXIMUM_DECREASED",
            MinimumAdded => "MINIMUM_ADDED",
            MinimumIncreased => "MINIMUM_INCREASED",
            ExclusiveMaximumAdded => "EXCLUSIVE_MAXIMUM_ADDED",
            ExclusiveMaximumDecreased => "EXCLUSIVE_MAXIMUM_DECREASED",
            ExclusiveMinimumAdded => "EXCLUSIVE_MINIMUM_ADDED",
            ExclusiveMinimumIncreased => "EXCLUSIVE_MINIMUM_INCREASED",
            MultipleOfAdded => "MULTIPLE_OF_ADDED",
            MultipleOfExpanded => "MULTIPLE_OF_EXPANDED",
            MultipleOfChanged => "MULTIPLE_OF_CHANGED",
            RequiredAttributeAdded => "REQUIRED_ATTRIBUTE_ADDED",
            MaxPropertiesAdded => "MAX_PROPERTIES_ADDED",
            MaxPropertiesDecreased => "MAX_PROPERTIES_DECREASED",
            MinPropertiesAdded => "MIN_PROPERTIES_ADDED",
            MinPropertiesIncreased => "MIN_PROPERTIES_INCREASED",
            AdditionalPropertiesRemoved => "ADDITIONAL_PROPERTIES_REMOVED",
            AdditionalPropertiesNarrowed => "ADDITIONAL_PROPERTIES_NARROWED",
            DependencyArrayAdded => "DEPENDENCY_ARRAY_ADDED",
            DependencyArrayExtended => "DEPENDENCY_ARRAY_EXTENDED",
            DependencyArrayChanged => "DEPENDENCY_ARRAY_CHANGED",
            DependencySchemaAdded => "DEPENDENCY_SCHEMA_ADDED",
            RequiredPropertyAddedToOpenContentModel => {
                "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            }
            RequiredPropertyWithDefaultAddedToOpenContentModel => {
                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
            }
            OptionalPropertyAddedToOpenContentModel => {
                "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            }
            RequiredPropertyAddedToUnopenContentModel => {
                "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
            }
            PropertyRemovedFromClosedContentModel => "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
            PropertyRemovedNotCoveredByPartiallyOpenContentModel => {
                "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
            PropertyAddedNotCoveredByPartiallyOpenContentModel => {
                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
            UnevaluatedPropertiesRemoved => "UNEVALUATED_PROPERTIES_REMOVED",
            UnevaluatedPropertiesNarrowed => "UNEVALUATED_PROPERTIES_NARROWED",
            MaxItemsAdded => "MAX_ITEMS_ADDED",
            MaxItemsDecreased => "MAX_ITEMS_DECREASED",
            MinItemsAdded => "MIN_ITEMS_ADDED",
            MinItemsIncreased => "MIN_ITEMS_INCREASED",
            MaxContainsAdded => "MAX_CONTAINS_ADDED",
            MaxContainsDecreased => "MAX_CONTAINS_DECREASED",
            MinContainsAdded => "MIN_CONTAINS_ADDED",
            MinContainsIncreased => "MIN_CONTAINS_INCREASED",
            UniqueItemsAdded => "UNIQUE_ITEMS_ADDED",
            AdditionalItemsRemoved => "ADDITIONAL_ITEMS_REMOVED",
            AdditionalItemsNarrowed => "ADDITIONAL_ITEMS_NARROWED",
            UnevaluatedItemsRemoved => "UNEVALUATED_ITEMS_REMOVED",
            UnevaluatedItemsNarrowed => "UNEVALUATED_ITEMS_NARROWED",
            ItemAddedToOpenContentModel => "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
            ItemRemovedFromClosedContentModel => "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
            ItemRemovedNotCoveredByPartiallyOpenContentModel => {
                "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
            ItemAddedNotCoveredByPartiallyOpenContentModel => {
                "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            }
            EnumArrayNarrowed => "ENUM_ARRAY_NARROWED",
            EnumArrayChanged => "ENUM_ARRAY_CHANGED",
            CombinedTypeChanged => "COMBINED_TYPE_CHANGED",
            ProductTypeExtended => "PRODUCT_TYPE_EXTENDED",
            SumTypeNarrowed => "SUM_TYPE_NARROWED",
            CombinedTypeSubschemasChanged => "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
            NotTypeExtended => "NOT_TYPE_EXTENDED",
        }
    }

    /// Whether a new reader can live with this change under `policy`.
    pub fn is_compatible(self, policy: Policy) -> bool {
        use JsonChange::*;
        match self {
            IdChanged
            | DescriptionChanged
            | TitleChanged
            | DefaultChanged
            | SchemaRemoved
            | TypeExtended
            | MaxLengthRemoved
            | MaxLengthIncreased
            | MinLengthRemoved
            | MinLengthDecreased
            | PatternRemoved
            | MaximumRemoved
            | MaximumIncreased
            | MinimumRemoved
            | MinimumDecreased
            | ExclusiveMaximumRemoved
            | ExclusiveMaximumIncreased
            | ExclusiveMinimumRemoved
            | ExclusiveMinimumDecreased
            | MultipleOfRemoved
            | MultipleOfReduced
            | RequiredAttributeWithDefaultAdded
            | RequiredAttributeRemoved
            | MaxPropertiesRemoved
            | MaxPropertiesIncreased
            | MinPropertiesRemoved
            | MinPropertiesDecreased
            | AdditionalPropertiesAdded
            | AdditionalPropertiesExtended
            | DependencyArrayRemoved
            | DependencyArrayNarrowed
            | DependencySchemaRemoved
            | PropertyWithEmptySchemaAddedToOpenContentModel
            | RequiredPropertyWithDefaultAddedToUnopenContentModel
            | OptionalPropertyAddedToUnopenContentModel
            | PropertyRemovedFromOpenContentModel
            | PropertyWithFalseRemovedFromClosedContentModel
            | PropertyRemovedIsCoveredByPartiallyOpenContentModel
            | PropertyAddedIsCoveredByPartiallyOpenContentModel
            | UnevaluatedPropertiesAdded
            | UnevaluatedPropertiesExtended
            | MaxItemsRemoved
            | MaxItemsIncreased
            | MinItemsRemoved
            | MinItemsDecreased
            | MaxContainsRemoved
            | MaxContainsIncreased
            | MinContainsRemoved
            | MinContainsDecreased
            | UniqueItemsRemoved
            | AdditionalItemsAdded
            | AdditionalItemsExtended
            | UnevaluatedItemsAdded
            | UnevaluatedItemsExtended
            | ItemWithEmptySchemaAddedToOpenContentModel
            | ItemAddedToClosedContentModel
            | ItemRemovedFromOpenContentModel
            | ItemWithFalseRemovedFromClosedContentModel
            | ItemRemovedIsCoveredByPartiallyOpenContentModel
            | ItemAddedIsCoveredByPartiallyOpenContentModel
            | EnumArrayExtended
            | CombinedTypeExtended
            | ProductTypeNarrowed
            | SumTypeExtended
            | NotTypeNarrowed => true,
            AdditionalPropertiesNarrowed
            | AdditionalPropertiesRemoved
            | UnevaluatedPropertiesNarrowed
            | UnevaluatedPropertiesRemoved
            | RequiredPropertyWithDefaultAddedToOpenContentModel
            | OptionalPropertyAddedToOpenContentModel
            | PropertyRemovedFromClosedContentModel
            | PropertyAddedNotCoveredByPartiallyOpenContentModel
            | PropertyRemovedNotCoveredByPartiallyOpenContentModel => policy == Policy::Lenient,
            SchemaAdded
            | TypeNarrowed
            | TypeChanged
            | MaxLengthAdded
            | MaxLengthDecreased
            | MinLengthAdded
            | MinLengthIncreased
            | PatternAdded
            | PatternChanged
            | MaximumAdded
            | MaximumDecreased
            | MinimumAdded
            | MinimumIncreased
            | ExclusiveMaximumAdded
            | ExclusiveMaximumDecreased
            | ExclusiveMinimumAdded
            | ExclusiveMinimumIncreased
            | MultipleOfAdded
            | MultipleOfExpanded
            | MultipleOfChanged
            | RequiredAttributeAdded
            | MaxPropertiesAdded
            | MaxPropertiesDecreased
            | MinPropertiesAdded
            | MinPropertiesIncreased
            | DependencyArrayAdded
            | DependencyArrayExtended
            | DependencyArrayChanged
            | DependencySchemaAdded
            | RequiredPropertyAddedToOpenContentModel
            | RequiredPropertyAddedToUnopenContentModel
            | MaxItemsAdded
            | MaxItemsDecreased
            | MinItemsAdded
            | MinItemsIncreased
            | MaxContainsAdded
            | MaxContainsDecreased
            | MinContainsAdded
            | MinContainsIncreased
            | UniqueItemsAdded
            | AdditionalItemsRemoved
            | AdditionalItemsNarrowed
            | UnevaluatedItemsRemoved
            | UnevaluatedItemsNarrowed
            | ItemAddedToOpenContentModel
            | ItemRemovedFromClosedContentModel
            | ItemRemovedNotCoveredByPartiallyOpenContentModel
            | ItemAddedNotCoveredByPartiallyOpenContentModel
            | EnumArrayNarrowed
            | EnumArrayChanged
            | CombinedTypeChanged
            | ProductTypeExtended
            | SumTypeNarrowed
            | CombinedTypeSubschemasChanged
            | NotTypeExtended => false,
        }
    }

    /// Confluent's message: `{errorType:"…", description:"…'}`.
    pub(crate) fn message(self, change: &Change, reader: Role, writer: Role) -> String {
        use JsonChange::*;
        let path = &change.path;
        let description = match self {
            MaximumAdded
            | MinimumAdded
            | ExclusiveMaximumAdded
            | ExclusiveMinimumAdded
            | MultipleOfAdded
            | MaxLengthAdded
            | MinLengthAdded
            | PatternAdded
            | RequiredAttributeAdded
            | MaxPropertiesAdded
            | MinPropertiesAdded
            | DependencyArrayAdded
            | DependencySchemaAdded
            | MaxItemsAdded
            | MinItemsAdded
            | MaxContainsAdded
            | MinContainsAdded
            | UniqueItemsAdded
            | AdditionalItemsRemoved
            | AdditionalPropertiesRemoved
            | UnevaluatedPropertiesRemoved
            | UnevaluatedItemsRemoved => {
                format!("The keyword at path '{path}' in the {reader} schema is not present in the {writer} schema")
            }
            MinLengthIncreased
            | MinimumIncreased
            | ExclusiveMinimumIncreased
            | MinPropertiesIncreased
            | MultipleOfExpanded
            | MinItemsIncreased
            | MinContainsIncreased => {
                format!("The value at path '{path}' in the {reader} schema is more than its value in the {writer} schema")
            }
            MaxLengthDecreased
            | MaximumDecreased
            | MaxItemsDecreased
            | MaxContainsDecreased
            | ExclusiveMaximumDecreased
            | MaxPropertiesDecreased => {
                format!("The value at path '{path}' in the {reader} schema is less than its value in the {writer} schema")
            }
            PatternChanged | MultipleOfChanged | DependencyArrayChanged => {
                format!("The value at path '{path}' is different between the {reader} and {writer} schema")
            }
            AdditionalItemsNarrowed
            | EnumArrayNarrowed
            | SumTypeNarrowed
            | AdditionalPropertiesNarrowed
            | UnevaluatedPropertiesNarrowed
            | UnevaluatedItemsNarrowed => {
                format!("An array or combined type at path '{path}' has fewer elements in the {reader} schema than the {writer} schema")
            }
            DependencyArrayExtended | ProductTypeExtended | SumTypeExtended | NotTypeExtended => {
                format!("An array or combined type at path '{path}' has more elements in the {reader} schema than the {writer} schema")
            }
            TypeChanged
            | TypeNarrowed
            | CombinedTypeChanged
            | CombinedTypeSubschemasChanged
            | EnumArrayChanged => {
                format!("A type at path '{path}' is different between the {reader} schema and the {writer} schema")
            }
            RequiredPropertyAddedToOpenContentModel
            | RequiredPropertyWithDefaultAddedToOpenContentModel
            | OptionalPropertyAddedToOpenContentModel
            | ItemAddedToOpenContentModel => {
                format!("The {reader} schema has an open content model and has a property or item at path '{path}' which is missing in the {writer} schema")
            }
            RequiredPropertyAddedToUnopenContentModel => {
                format!("The {reader} schema has an unopen content model and has a required property at path '{path}' which is missing in the {writer} schema")
            }
            PropertyRemovedFromClosedContentModel | ItemRemovedFromClosedContentModel => {
                format!("The {reader} has a closed content model and is missing a property or item present at path '{path}' in the {writer} schema")
            }
            PropertyRemovedNotCoveredByPartiallyOpenContentModel
            | ItemRemovedNotCoveredByPartiallyOpenContentModel => {
                format!("A property or item is missing in the {reader} schema but present at path '{path}' in the {writer} schema and is not covered by its partially open content model")
            }
            PropertyAddedNotCoveredByPartiallyOpenContentModel
            | ItemAddedNotCoveredByPartiallyOpenContentModel => {
                format!("The {reader} schema has a property or item at path '{path}' which is missing in the {writer} schema and is not covered by its partially open content model")
            }
            _ => String::new(),
        };
        format!(
            "{{errorType:\"{}\", description:\"{description}'}}",
            self.id()
        )
    }
}

/// A change at `path`.
pub(super) fn change(kind: JsonChange, path: String) -> Change {
    Change {
        kind: ChangeKind::Json(kind),
        path,
        info: None,
    }
}
