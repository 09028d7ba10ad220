//! Borrowed, copyable views of compiled components for API users (sinks, tools).

use std::fmt;
use std::sync::Arc;

use crate::datatypes::{Builtin, SimpleType};

use super::{AttributeIndex, Content, ElementIndex, Leaf, SchemaSet, TypeBody, TypeIndex, XSI_NS};

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
        self.set.names_local(self.set.element_rule(self.index).name)
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
        !self
            .set
            .element_rule(self.index)
            .identity_constraints
            .is_empty()
    }

    /// The model id of the declaration (identity constraints, tools).
    pub fn id(&self) -> crate::schema::ElementId {
        self.set.element_rule(self.index).model_id
    }

    /// The position of the declaration in the set (the same as `id().index()`): a plain
    /// number for tools that keep their own tables; see [`SchemaSet::element_at`].
    pub fn index(&self) -> usize {
        self.index.0 as usize
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
        let name = self.set.type_rule(self.index).name?;
        Some(self.set.names_local(name))
    }

    /// The target namespace of a named type; `None` for no namespace or anonymous.
    pub fn namespace(&self) -> Option<&'s str> {
        let name = self.set.type_rule(self.index).name?;
        self.set.namespaces.uri(self.set.names.namespace(name))
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

    /// The position of the definition in the set: a plain number for tools that keep their
    /// own tables; see [`SchemaSet::type_definitions`].
    pub fn index(&self) -> usize {
        self.index.0 as usize
    }

    /// The built-in type nearest on the base chain of the simple type governing the text
    /// (see [`TypeDefinition::simple_type`]); `None` when the content is not simple.
    pub fn builtin_ancestor(&self) -> Option<Builtin> {
        self.simple_type().map(|s| s.builtin_ancestor())
    }

    /// Every element declaration the content model allows as a child, substitution-group
    /// members included and abstract declarations left out (they never appear in an
    /// instance), each once, in content-model order. Children that only a wildcard allows
    /// are not listed: see [`TypeDefinition::has_element_wildcard`]. Allocates; meant for
    /// tools, not for validation.
    pub fn child_elements(&self) -> Vec<ElementDeclaration<'s>> {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for leaf in self.leaves() {
            let Leaf::Element { head, names } = leaf else {
                continue;
            };
            // The head first, so the particle's own declaration leads its group.
            let members = names.of(head).iter().filter(|n| n.element != head.element);
            for name in std::iter::once(head).chain(members) {
                if seen.contains(&name.element) {
                    continue;
                }
                seen.push(name.element);
                if !self.set.element_rule(name.element).is_abstract {
                    out.push(ElementDeclaration::new(self.set, name.element));
                }
            }
        }
        out
    }

    /// Whether the content model has an element wildcard (`xs:any`), so children not
    /// listed by [`TypeDefinition::child_elements`] may appear.
    pub fn has_element_wildcard(&self) -> bool {
        self.leaves().iter().any(|l| matches!(l, Leaf::Wildcard(_)))
    }

    /// Whether an element of this type may carry the attribute `{namespace}local`: a
    /// declared attribute use, or the attribute wildcard allows it. The `xsi:` attributes
    /// every element may carry count as allowed.
    pub fn allows_attribute(&self, namespace: Option<&str>, local: &str) -> bool {
        if namespace == Some(XSI_NS) {
            return matches!(
                local,
                "type" | "nil" | "schemaLocation" | "noNamespaceSchemaLocation"
            );
        }
        let TypeBody::Complex(complex) = &self.set.type_rule(self.index).body else {
            return false;
        };
        let namespace_id = self.set.namespace_id(namespace);
        let declared = self
            .set
            .name_id(namespace_id, local)
            .is_some_and(|name| complex.attribute_use(name).is_some());
        declared
            || complex
                .wildcard
                .as_ref()
                .is_some_and(|w| w.namespaces.allows(namespace_id))
    }

    /// The leaves of an element-content model; empty for other content.
    fn leaves(&self) -> &'s [Leaf] {
        match &self.set.type_rule(self.index).body {
            TypeBody::Complex(super::ComplexRule {
                content: Content::Elements { automaton, .. },
                ..
            }) => automaton.leaves(),
            _ => &[],
        }
    }
}

impl SchemaSet {
    /// Every type definition of the set, built-ins and anonymous ones included, in index
    /// order (see [`TypeDefinition::index`]). With [`TypeDefinition::base`] this gives the
    /// types an `xsi:type` may put in place of a declared one.
    pub fn type_definitions(&self) -> impl Iterator<Item = TypeDefinition<'_>> + '_ {
        (0..self.types.len())
            .filter_map(|i| u32::try_from(i).ok())
            .map(move |i| TypeDefinition::new(self, TypeIndex(i)))
    }

    /// The element declaration at `index` (see [`ElementDeclaration::index`]).
    pub fn element_at(&self, index: usize) -> Option<ElementDeclaration<'_>> {
        let i = ElementIndex(u32::try_from(index).ok()?);
        self.elements
            .get(index)
            .map(|_| ElementDeclaration::new(self, i))
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
        self.set
            .names_local(self.set.attribute_rule(self.index).name)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::load_from_memory;

    fn set(body: &str) -> SchemaSet {
        let text = format!(
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">{body}</xs:schema>"#
        );
        load_from_memory(&["s.xsd"], &[("s.xsd", &text)], None)
            .and_then(SchemaSet::from_model)
            .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn names(elements: &[ElementDeclaration<'_>]) -> Vec<String> {
        elements
            .iter()
            .map(|e| format!("{}{}", e.name(), if e.is_global() { "*" } else { "" }))
            .collect()
    }

    const MODEL: &str = r###"
      <xs:element name="head" type="xs:string" abstract="true"/>
      <xs:element name="member" type="xs:string" substitutionGroup="t:head"/>
      <xs:element name="other" type="xs:string" substitutionGroup="t:head"/>
      <xs:element name="price" type="xs:decimal"/>
      <xs:complexType name="base">
        <xs:sequence>
          <xs:element name="a" type="xs:string"/>
          <xs:element ref="t:head"/>
        </xs:sequence>
        <xs:attribute name="id" type="xs:ID"/>
      </xs:complexType>
      <xs:complexType name="ext"><xs:complexContent><xs:extension base="t:base">
        <xs:choice>
          <xs:element ref="t:price"/>
          <xs:element ref="t:member"/>
          <xs:any namespace="##other" processContents="lax"/>
        </xs:choice>
        <xs:anyAttribute namespace="urn:x"/>
      </xs:extension></xs:complexContent></xs:complexType>
      <xs:complexType name="amount"><xs:simpleContent>
        <xs:extension base="t:money"><xs:attribute name="currency" type="xs:token"/></xs:extension>
      </xs:simpleContent></xs:complexType>
      <xs:simpleType name="money"><xs:restriction base="xs:decimal">
        <xs:fractionDigits value="2"/>
      </xs:restriction></xs:simpleType>"###;

    fn type_of<'s>(set: &'s SchemaSet, name: &str) -> TypeDefinition<'s> {
        set.type_definition(Some("urn:t"), name)
            .unwrap_or_else(|| panic!("no type {name}"))
    }

    #[test]
    fn child_elements_list_particles_and_substitution_members_once() {
        let set = set(MODEL);
        let base = type_of(&set, "base");
        // The abstract head is left out; its members stand in for it.
        assert_eq!(names(&base.child_elements()), ["a", "member*", "other*"]);
        assert!(!base.has_element_wildcard());
        let ext = type_of(&set, "ext");
        // `member` is reachable twice (group member and own particle): listed once.
        assert_eq!(
            names(&ext.child_elements()),
            ["a", "member*", "other*", "price*"]
        );
        assert!(ext.has_element_wildcard());
        // Local declarations are the ones the content model governs children with.
        let a = base.child_elements()[0];
        assert!(!a.is_global());
        assert_eq!(a.namespace(), None);
        assert_eq!(set.element_at(a.index()), Some(a));
        assert!(set.element_at(usize::MAX).is_none());
    }

    #[test]
    fn simple_and_empty_content_have_no_children() {
        let set = set(MODEL);
        for name in ["amount", "money"] {
            let t = type_of(&set, name);
            assert!(t.child_elements().is_empty(), "{name}");
            assert!(!t.has_element_wildcard(), "{name}");
        }
    }

    #[test]
    fn attributes_are_allowed_by_use_or_wildcard() {
        let set = set(MODEL);
        let base = type_of(&set, "base");
        assert!(base.allows_attribute(None, "id"));
        assert!(!base.allows_attribute(None, "currency"));
        assert!(!base.allows_attribute(Some("urn:x"), "anything"));
        assert!(base.allows_attribute(Some(XSI_NS), "type"));
        assert!(!base.allows_attribute(Some(XSI_NS), "other"));
        let ext = type_of(&set, "ext");
        assert!(ext.allows_attribute(None, "id"), "inherited");
        assert!(ext.allows_attribute(Some("urn:x"), "anything"), "wildcard");
        assert!(!ext.allows_attribute(Some("urn:never-mentioned"), "x"));
        assert!(!ext.allows_attribute(Some("urn:t"), "id"));
        assert!(type_of(&set, "amount").allows_attribute(None, "currency"));
        assert!(!type_of(&set, "money").allows_attribute(None, "currency"));
    }

    #[test]
    fn type_definitions_are_listed_with_their_index() {
        let set = set(MODEL);
        let all: Vec<TypeDefinition<'_>> = set.type_definitions().collect();
        for (i, t) in all.iter().enumerate() {
            assert_eq!(t.index(), i);
        }
        let ext = type_of(&set, "ext");
        assert_eq!(all.get(ext.index()), Some(&ext));
        assert_eq!(ext.base(), Some(type_of(&set, "base")));
        assert!(all
            .iter()
            .any(|t| t.name() == Some("decimal") && t.is_simple()));
    }

    #[test]
    fn builtin_ancestor_of_simple_content() {
        let set = set(MODEL);
        assert_eq!(
            type_of(&set, "money").builtin_ancestor(),
            Some(Builtin::Decimal)
        );
        assert_eq!(
            type_of(&set, "amount").builtin_ancestor(),
            Some(Builtin::Decimal)
        );
        assert_eq!(type_of(&set, "base").builtin_ancestor(), None);
        let price = set
            .element(Some("urn:t"), "price")
            .map(|e| e.type_definition());
        assert_eq!(
            price.and_then(|t| t.builtin_ancestor()),
            Some(Builtin::Decimal)
        );
    }
}
