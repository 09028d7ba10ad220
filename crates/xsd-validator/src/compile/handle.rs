//! Borrowed, copyable views of compiled components for API users (sinks, tools).

use std::fmt;
use std::sync::Arc;

use crate::datatypes::SimpleType;

use super::{AttributeIndex, Content, ElementIndex, SchemaSet, TypeBody, TypeIndex};

/// An element declaration of a [`SchemaSet`].
#[derive(Clone, Copy)]
pub struct ElementDeclaration<'s> {
    set: &'s SchemaSet,
    index: ElementIndex,
}

impl<'s> ElementDeclaration<'s> {
    pub(crate) fn new(set: &'s SchemaSet, index: ElementIndex) -> Self {
        ElementDeclaration { set, index }
    }

    /// The local name.
    pub fn name(&self) -> &'s str {
        &self.set.element_rule(self.index).local
    }

    /// The target namespace; `None` for no namespace.
    pub fn namespace(&self) -> Option<&'s str> {
        let ns = self.set.element_rule(self.index).namespace;
        self.set.namespaces.uri(ns)
    }

    /// The declared type (not an `xsi:type` override).
    pub fn type_definition(&self) -> TypeDefinition<'s> {
        TypeDefinition::new(self.set, self.set.element_rule(self.index).type_index)
    }

    /// Whether this is a top-level declaration.
    pub fn is_global(&self) -> bool {
        self.set.element_rule(self.index).global
    }

    pub fn is_nillable(&self) -> bool {
        self.set.element_rule(self.index).nillable
    }

    pub fn is_abstract(&self) -> bool {
        self.set.element_rule(self.index).is_abstract
    }

    /// Whether unique/key/keyref constraints are declared on this element.
    pub fn has_identity_constraints(&self) -> bool {
        self.set.element_rule(self.index).has_identity_constraints
    }

    /// The model id of the declaration (identity constraints, tools).
    pub fn id(&self) -> crate::schema::ElementId {
        self.set.element_rule(self.index).model_id
    }
}

impl PartialEq for ElementDeclaration<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.set, other.set) && self.index == other.index
    }
}

impl fmt::Debug for ElementDeclaration<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElementDeclaration")
            .field("name", &self.name())
            .field("namespace", &self.namespace())
            .finish()
    }
}

/// A simple or complex type definition of a [`SchemaSet`].
#[derive(Clone, Copy)]
pub struct TypeDefinition<'s> {
    set: &'s SchemaSet,
    index: TypeIndex,
}

impl<'s> TypeDefinition<'s> {
    pub(crate) fn new(set: &'s SchemaSet, index: TypeIndex) -> Self {
        TypeDefinition { set, index }
    }

    /// The local name; `None` for an anonymous type.
    pub fn name(&self) -> Option<&'s str> {
        self.set
            .type_rule(self.index)
            .name
            .as_ref()
            .map(|(_, l)| &**l)
    }

    /// The target namespace of a named type; `None` for no namespace or anonymous.
    pub fn namespace(&self) -> Option<&'s str> {
        let (ns, _) = self.set.type_rule(self.index).name.as_ref()?;
        self.set.namespaces.uri(*ns)
    }

    pub fn is_simple(&self) -> bool {
        matches!(self.set.type_rule(self.index).body, TypeBody::Simple(_))
    }

    /// The simple type of a simple type definition or of a complex type with simple content.
    pub fn simple_type(&self) -> Option<&'s Arc<SimpleType>> {
        self.set
            .type_rule(self.index)
            .simple_rule()
            .map(|s| &s.simple)
    }

    /// Whether element content allows character data (mixed content).
    pub fn is_mixed(&self) -> bool {
        matches!(
            self.set.type_rule(self.index).body,
            TypeBody::Complex(super::ComplexRule {
                content: Content::Elements { mixed: true, .. },
                ..
            })
        )
    }

    /// The base type definition (`None` for anyType).
    pub fn base(&self) -> Option<TypeDefinition<'s>> {
        self.set
            .type_rule(self.index)
            .base
            .map(|b| TypeDefinition::new(self.set, b))
    }

    pub fn is_abstract(&self) -> bool {
        self.set.type_rule(self.index).is_abstract
    }
}

impl PartialEq for TypeDefinition<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.set, other.set) && self.index == other.index
    }
}

impl fmt::Debug for TypeDefinition<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypeDefinition")
            .field("name", &self.name())
            .field("namespace", &self.namespace())
            .finish()
    }
}

/// An attribute declaration of a [`SchemaSet`].
#[derive(Clone, Copy)]
pub struct AttributeDeclaration<'s> {
    set: &'s SchemaSet,
    index: AttributeIndex,
}

impl<'s> AttributeDeclaration<'s> {
    pub(crate) fn new(set: &'s SchemaSet, index: AttributeIndex) -> Self {
        AttributeDeclaration { set, index }
    }

    pub fn name(&self) -> &'s str {
        &self.set.attribute_rule(self.index).local
    }

    pub fn namespace(&self) -> Option<&'s str> {
        let ns = self.set.attribute_rule(self.index).namespace;
        self.set.namespaces.uri(ns)
    }

    pub fn type_definition(&self) -> TypeDefinition<'s> {
        TypeDefinition::new(self.set, self.set.attribute_rule(self.index).type_index)
    }

    pub fn simple_type(&self) -> Option<&'s Arc<SimpleType>> {
        self.type_definition().simple_type()
    }
}

impl fmt::Debug for AttributeDeclaration<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttributeDeclaration")
            .field("name", &self.name())
            .field("namespace", &self.namespace())
            .finish()
    }
}
