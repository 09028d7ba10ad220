//! Turns parsed schema documents into components: registers top-level names (pass 1), then
//! builds every component with its QName references resolved to ids (pass 2), checking the
//! representation constraints of the schema for schemas on the way.

use crate::datatypes::Builtin;
use std::path::Path;

use roxmltree::{Node, NodeId};

use super::components::*;
use super::loader::LoadedDocument;
use super::{SchemaError, UnqualifiedAttribute, XSD_NS};

const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The facets of XSD 1.0 (Part 2, 4.3).
pub(crate) const FACETS: &[&str] = &[
    "length",
    "minLength",
    "maxLength",
    "pattern",
    "enumeration",
    "whiteSpace",
    "maxInclusive",
    "maxExclusive",
    "minInclusive",
    "minExclusive",
    "totalDigits",
    "fractionDigits",
];
const PARTICLES: &[&str] = &["element", "group", "choice", "sequence", "any"];
const MODEL_GROUPS: &[&str] = &["group", "all", "choice", "sequence"];
const ATTRS: &[&str] = &["attribute", "attributeGroup"];
const TOP_LEVEL: &[&str] = &[
    "simpleType",
    "complexType",
    "group",
    "attributeGroup",
    "element",
    "attribute",
    "notation",
    "annotation",
];

/// One position of a content model of the schema for schemas: a set of names with a
/// cardinality. The XSD content models are simple enough for greedy matching.
#[derive(Clone, Copy)]
struct Slot {
    names: &'static [&'static str],
    required: bool,
    many: bool,
}

const fn opt(names: &'static [&'static str]) -> Slot {
    Slot {
        names,
        required: false,
        many: false,
    }
}
const fn one(names: &'static [&'static str]) -> Slot {
    Slot {
        names,
        required: true,
        many: false,
    }
}
const fn any_number(names: &'static [&'static str]) -> Slot {
    Slot {
        names,
        required: false,
        many: true,
    }
}
const fn at_least_one(names: &'static [&'static str]) -> Slot {
    Slot {
        names,
        required: true,
        many: true,
    }
}

const ANNOTATION: Slot = opt(&["annotation"]);
const ANNOTATION_ONLY: &[Slot] = &[ANNOTATION];
const ATTRIBUTE_SLOTS: [Slot; 2] = [any_number(ATTRS), opt(&["anyAttribute"])];

/// The kind of a top-level component (one symbol space each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Element,
    Attribute,
    SimpleType,
    ComplexType,
    Group,
    AttributeGroup,
    Notation,
}

impl Kind {
    fn from_local(local: &str) -> Option<Kind> {
        Some(match local {
            "element" => Kind::Element,
            "attribute" => Kind::Attribute,
            "simpleType" => Kind::SimpleType,
            "complexType" => Kind::ComplexType,
            "group" => Kind::Group,
            "attributeGroup" => Kind::AttributeGroup,
            "notation" => Kind::Notation,
            _ => return None,
        })
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Element => "element",
            Kind::Attribute => "attribute",
            Kind::SimpleType | Kind::ComplexType => "type",
            Kind::Group => "model group",
            Kind::AttributeGroup => "attribute group",
            Kind::Notation => "notation",
        }
    }
}

/// An allocated top-level component.
#[derive(Debug, Clone, Copy)]
enum Slot2 {
    Element(ElementId),
    Attribute(AttributeId),
    Type(TypeId),
    Group(GroupId),
    AttributeGroup(AttributeGroupId),
    Notation(NotationId),
}

/// A redefinition: the component it replaces under the same name.
#[derive(Debug, Clone, Copy)]
enum Original {
    None,
    Type(TypeId),
    Group(GroupId),
    AttributeGroup(AttributeGroupId),
}

/// Per-document settings from the `xs:schema` element.
struct Doc<'t> {
    id: DocumentId,
    path: &'t Path,
    text: &'t str,
    line_starts: Vec<usize>,
    target: NamespaceId,
    chameleon: bool,
    elements_qualified: bool,
    attributes_qualified: bool,
    block_default: DerivationSet,
    final_default: DerivationSet,
    /// Namespaces this document's `xs:import`s name (`ABSENT` for one without `namespace`):
    /// with the target and the XSD namespace, the only ones its QNames may refer to
    /// (src-resolve.4).
    imports: Vec<NamespaceId>,
}

impl Doc<'_> {
    fn position(&self, offset: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line as u32, column as u32 + 1)
    }

    fn location(&self, node: Node<'_, '_>) -> Location {
        let (line, column) = self.position(node.range().start);
        Location {
            document: self.id,
            line,
            column,
        }
    }
}

/// In-scope bindings as strings (prefix, namespace), for cheap comparison.
type RawBindings = Vec<(Option<String>, String)>;

/// State shared by the passes; `resolve` finishes what this leaves behind.
pub(crate) struct Builder {
    pub model: SchemaModel,
    pub errors: Vec<SchemaError>,
    /// Top-level elements without a type of their own but with a substitution group head.
    pub untyped_members: Vec<ElementId>,
    /// keyrefs whose `refer` is resolved once every identity constraint is known.
    pub pending_refers: Vec<(IdentityConstraintId, QName, Location)>,
    /// Own attribute-use counts are unknown after flattening, so keep whether a type's
    /// uses came from `simpleContent`/`complexContent` with a complex base (for src-ct.1).
    pub complex_content_bases: Vec<(TypeId, TypeRef, Location)>,
    scope_cache: Option<(NamespaceScopeId, RawBindings)>,
    /// `id` attribute values seen per document (they are xs:ID: NCNames, unique).
    ids: std::collections::HashSet<(DocumentId, String)>,
}

/// Parses every loaded document into a tree, in `docs` order. Parsing is most of the load
/// time of a real schema set (XBau: about 1 MB of schema text, mostly annotations), and the
/// documents are independent, so they are parsed on up to as many threads as there are cores.
fn parse_trees(docs: &[LoadedDocument]) -> Vec<Result<roxmltree::Document<'_>, roxmltree::Error>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    fn parse(d: &LoadedDocument) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        roxmltree::Document::parse_with_options(&d.text, options)
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(docs.len());
    let total_bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    // Below this a thread costs more than it saves.
    const PARALLEL_BYTES: usize = 128 << 10;
    if threads < 2 || total_bytes < PARALLEL_BYTES {
        return docs.iter().map(parse).collect();
    }
    // Largest documents first, so one big document does not start last.
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(docs[i].text.len()));
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<roxmltree::Document<'_>, roxmltree::Error>>> =
        (0..docs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        done.push((i, parse(&docs[i])));
                    }
                    done
                })
            })
            .collect();
        let mut done = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push((i, parse(&docs[i])));
        }
        for worker in workers {
            // A worker only parses; if it panicked, its documents are parsed again below.
            done.extend(worker.join().unwrap_or_default());
        }
        for (i, tree) in done {
            results[i] = Some(tree);
        }
    });
    results
        .into_iter()
        .zip(docs)
        .map(|(tree, d)| tree.unwrap_or_else(|| parse(d)))
        .collect()
}

/// Builds the components of all loaded documents.
pub(crate) fn build(docs: &[LoadedDocument]) -> Builder {
    let mut b = Builder {
        model: SchemaModel::default(),
        errors: Vec::new(),
        untyped_members: Vec::new(),
        pending_refers: Vec::new(),
        complex_content_bases: Vec::new(),
        scope_cache: None,
        ids: std::collections::HashSet::new(),
    };
    // Indexed like `docs`; `None` for a document that does not parse.
    let mut parsed = Vec::with_capacity(docs.len());
    for (i, (d, tree)) in docs.iter().zip(parse_trees(docs)).enumerate() {
        let target = b.model.namespaces.intern(d.target_namespace.as_deref());
        b.model.documents.push(DocumentInfo {
            path: d.path.clone(),
            target_namespace: target,
            chameleon: d.chameleon,
        });
        match tree {
            Ok(x) => {
                let doc = b.schema_settings(i, d, x.root_element(), target);
                parsed.push(Some((x, doc)));
            }
            Err(e) => {
                b.errors.push(SchemaError::new(
                    "schema_reference.4",
                    format!("schema document is not well-formed XML: {e}"),
                    &d.path,
                    e.pos().row,
                    e.pos().col,
                ));
                parsed.push(None);
            }
        }
    }

    // Pass 1: top-level names. Redefinitions come after everything else, innermost first.
    let mut registered: Vec<Vec<(NodeId, Slot2, Original)>> = vec![Vec::new(); parsed.len()];
    for (i, (x, doc)) in parsed
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, p.as_ref()?)))
    {
        for child in xsd_children(x.root_element()) {
            if let Some(kind) = Kind::from_local(child.tag_name().name()) {
                if let Some(slot) = b.register(doc, child, kind, false) {
                    registered[i].push((child.id(), slot, Original::None));
                }
            }
        }
    }
    // Components made by a redefinition, to tell a chain of redefinitions (A redefines B,
    // which redefines C) from two documents that redefine the same component independently.
    let mut redefinitions = std::collections::HashSet::new();
    for i in redefine_order(docs, parsed.len()) {
        let Some(Some((x, doc))) = parsed.get(i) else {
            continue;
        };
        let redefined = redefine_closure(docs, i);
        for redefine in xsd_children(x.root_element()).filter(|c| c.tag_name().name() == "redefine")
        {
            for child in xsd_children(redefine) {
                let Some(kind) = Kind::from_local(child.tag_name().name()) else {
                    continue;
                };
                if let Some((slot, original)) = b.register_redefinition(doc, child, kind) {
                    b.check_redefined_origin(doc, child, original, &redefinitions, &redefined);
                    redefinitions.insert(original_key(slot_original(slot)));
                    if let Some(r) = registered.get_mut(i) {
                        r.push((child.id(), slot, original));
                    }
                }
            }
        }
    }

    // Pass 2: the components themselves.
    for (i, (x, doc)) in parsed
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, p.as_ref()?)))
    {
        b.check_schema_element(doc, x.root_element());
        let Some(regs) = registered.get(i) else {
            continue;
        };
        for &(node_id, slot, original) in regs {
            let Some(node) = x.get_node(node_id) else {
                continue;
            };
            b.build_top_level(doc, node, slot, original);
        }
    }
    b
}

/// Documents in an order where a redefined document's own redefinitions come first.
fn redefine_order(docs: &[LoadedDocument], count: usize) -> Vec<usize> {
    fn visit(i: usize, docs: &[LoadedDocument], done: &mut [bool], out: &mut Vec<usize>) {
        if done.get(i).copied().unwrap_or(true) {
            return;
        }
        if let Some(d) = done.get_mut(i) {
            *d = true;
        }
        if let Some(doc) = docs.get(i) {
            for &r in &doc.redefines {
                visit(r, docs, done, out);
            }
        }
        out.push(i);
    }
    let mut done = vec![false; count];
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        visit(i, docs, &mut done, &mut out);
    }
    out
}

/// Whether each document is `i` or one that `i` redefines, directly or through others.
fn redefine_closure(docs: &[LoadedDocument], i: usize) -> Vec<bool> {
    let mut reached = vec![false; docs.len()];
    let mut stack = vec![i];
    while let Some(d) = stack.pop() {
        match reached.get_mut(d) {
            Some(r) if !*r => *r = true,
            _ => continue,
        }
        if let Some(doc) = docs.get(d) {
            stack.extend(doc.redefines.iter().copied());
        }
    }
    reached
}

/// The component a redefinition slot stands for, as the `Original` of a later redefinition.
fn slot_original(slot: Slot2) -> Original {
    match slot {
        Slot2::Type(t) => Original::Type(t),
        Slot2::Group(g) => Original::Group(g),
        Slot2::AttributeGroup(g) => Original::AttributeGroup(g),
        _ => Original::None,
    }
}

fn original_key(original: Original) -> (u8, u32) {
    match original {
        Original::None => (0, 0),
        Original::Type(t) => (1, t.0),
        Original::Group(g) => (2, g.0),
        Original::AttributeGroup(g) => (3, g.0),
    }
}

fn xsd_children<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().namespace() == Some(XSD_NS))
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    xsd_children(node).find(|c| c.tag_name().name() == name)
}

fn collapse(value: &str) -> &str {
    value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

pub(crate) fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_')
        && chars.all(|c| {
            c.is_alphanumeric()
                || matches!(c, '.' | '-' | '_' | '\u{B7}')
                || !c.is_ascii() && !c.is_whitespace()
        })
}

impl Builder {
    fn error(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, rule: &'static str, message: String) {
        let (line, column) = doc.position(node.range().start);
        self.errors
            .push(SchemaError::new(rule, message, doc.path, line, column));
    }

    fn schema_settings<'t>(
        &mut self,
        index: usize,
        d: &'t LoadedDocument,
        root: Node<'_, '_>,
        target: NamespaceId,
    ) -> Doc<'t> {
        let mut line_starts = vec![0];
        line_starts.extend(
            d.text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut doc = Doc {
            id: DocumentId(index as u32),
            path: &d.path,
            text: &d.text,
            line_starts,
            target,
            chameleon: d.chameleon,
            elements_qualified: false,
            attributes_qualified: false,
            block_default: DerivationSet::EMPTY,
            final_default: DerivationSet::EMPTY,
            imports: Vec::new(),
        };
        for import in xsd_children(root).filter(|c| c.tag_name().name() == "import") {
            let namespace = import.unqualified("namespace").map(collapse);
            doc.imports.push(self.model.namespaces.intern(namespace));
        }
        doc.elements_qualified = self.form(&doc, root, "elementFormDefault").unwrap_or(false);
        doc.attributes_qualified = self
            .form(&doc, root, "attributeFormDefault")
            .unwrap_or(false);
        let all = DerivationSet::EXTENSION
            .union(DerivationSet::RESTRICTION)
            .union(DerivationSet::SUBSTITUTION)
            .union(DerivationSet::LIST)
            .union(DerivationSet::UNION);
        doc.block_default = self
            .derivation_attr(
                &doc,
                root,
                "blockDefault",
                DerivationSet::EXTENSION
                    .union(DerivationSet::RESTRICTION)
                    .union(DerivationSet::SUBSTITUTION),
            )
            .unwrap_or_default();
        doc.final_default = self
            .derivation_attr(&doc, root, "finalDefault", all.union(DerivationSet::EMPTY))
            .map(|s| DerivationSet::from_bits(s.bits() & !DerivationSet::SUBSTITUTION.bits()))
            .unwrap_or_default();
        doc
    }

    fn check_schema_element(&mut self, doc: &Doc<'_>, root: Node<'_, '_>) {
        self.check_attributes(
            doc,
            root,
            &[
                "attributeFormDefault",
                "blockDefault",
                "elementFormDefault",
                "finalDefault",
                "targetNamespace",
                "version",
            ],
        );
        self.check_content(
            doc,
            root,
            &[
                any_number(&["include", "import", "redefine", "annotation"]),
                any_number(TOP_LEVEL),
            ],
        );
        for c in xsd_children(root) {
            match c.tag_name().name() {
                "include" => {
                    self.check_attributes(doc, c, &["schemaLocation"]);
                    self.check_content(doc, c, ANNOTATION_ONLY);
                }
                "import" => {
                    self.check_attributes(doc, c, &["namespace", "schemaLocation"]);
                    self.check_content(doc, c, ANNOTATION_ONLY);
                }
                "redefine" => {
                    self.check_attributes(doc, c, &["schemaLocation"]);
                    self.check_content(
                        doc,
                        c,
                        &[any_number(&[
                            "annotation",
                            "simpleType",
                            "complexType",
                            "group",
                            "attributeGroup",
                        ])],
                    );
                }
                _ => {}
            }
        }
    }

    // ---- pass 1 ----

    fn top_name(&mut self, doc: &Doc<'_>, node: Node<'_, '_>) -> Option<QName> {
        let Some(name) = node.unqualified("name") else {
            self.error(
                doc,
                node,
                "s4s-att-must-appear",
                format!(
                    "top-level xs:{} requires the attribute 'name'",
                    node.tag_name().name()
                ),
            );
            return None;
        };
        let name = collapse(name);
        if !is_ncname(name) {
            self.error(
                doc,
                node,
                "s4s-att-invalid-value",
                format!("name '{name}' is not an NCName"),
            );
            return None;
        }
        Some(QName {
            namespace: doc.target,
            local: name.into(),
        })
    }

    fn register(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        kind: Kind,
        redefinition: bool,
    ) -> Option<Slot2> {
        let name = self.top_name(doc, node)?;
        let m = &self.model;
        let exists = match kind {
            Kind::Element => m.global_elements.get(name.namespace, &name.local).is_some(),
            Kind::Attribute => m
                .global_attributes
                .get(name.namespace, &name.local)
                .is_some(),
            Kind::SimpleType | Kind::ComplexType => {
                m.global_types.get(name.namespace, &name.local).is_some()
            }
            Kind::Group => m.global_groups.get(name.namespace, &name.local).is_some(),
            Kind::AttributeGroup => m
                .global_attribute_groups
                .get(name.namespace, &name.local)
                .is_some(),
            Kind::Notation => m
                .global_notations
                .get(name.namespace, &name.local)
                .is_some(),
        };
        if exists && !redefinition {
            // The first definition keeps the name, so later references resolve consistently.
            let shown = self.model.display_name(&name);
            self.error(
                doc,
                node,
                "sch-props-correct.2",
                format!("duplicate top-level {} '{shown}'", kind.noun()),
            );
            return None;
        }
        let location = doc.location(node);
        let m = &mut self.model;
        let slot = match kind {
            Kind::Element => {
                let id = ElementId(m.elements.len() as u32);
                m.elements.push(placeholder_element(name.clone(), location));
                m.global_elements.insert(&name, id);
                Slot2::Element(id)
            }
            Kind::Attribute => {
                let id = AttributeId(m.attributes.len() as u32);
                m.attributes.push(AttributeDecl {
                    name: name.clone(),
                    global: true,
                    type_def: TypeRef::Builtin(Builtin::AnySimpleType),
                    value_constraint: None,
                    namespaces: NamespaceScopeId(0),
                    location,
                });
                m.global_attributes.insert(&name, id);
                Slot2::Attribute(id)
            }
            Kind::SimpleType | Kind::ComplexType => {
                let id = TypeId(m.types.len() as u32);
                m.types.push(if kind == Kind::SimpleType {
                    placeholder_simple(Some(name.clone()), location)
                } else {
                    placeholder_complex(Some(name.clone()), location)
                });
                m.global_types.insert(&name, id);
                Slot2::Type(id)
            }
            Kind::Group => {
                let id = GroupId(m.groups.len() as u32);
                m.groups.push(GroupDef {
                    restricts: None,
                    name: name.clone(),
                    model_group: ModelGroup {
                        compositor: Compositor::Sequence,
                        particles: Vec::new(),
                    },
                    location,
                });
                m.global_groups.insert(&name, id);
                Slot2::Group(id)
            }
            Kind::AttributeGroup => {
                let id = AttributeGroupId(m.attribute_groups.len() as u32);
                m.attribute_groups.push(AttributeGroupDef {
                    restricts: None,
                    name: name.clone(),
                    attribute_uses: Vec::new(),
                    attribute_wildcards: Vec::new(),
                    attribute_groups: Vec::new(),
                    location,
                });
                m.global_attribute_groups.insert(&name, id);
                Slot2::AttributeGroup(id)
            }
            Kind::Notation => {
                let id = NotationId(m.notations.len() as u32);
                m.notations.push(Notation {
                    name: name.clone(),
                    public: None,
                    system: None,
                    location,
                });
                m.global_notations.insert(&name, id);
                Slot2::Notation(id)
            }
        };
        Some(slot)
    }

    fn register_redefinition(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        kind: Kind,
    ) -> Option<(Slot2, Original)> {
        let name_attr = node.unqualified("name").map(collapse)?;
        let name = QName {
            namespace: doc.target,
            local: name_attr.into(),
        };
        let original = match kind {
            Kind::SimpleType | Kind::ComplexType => self
                .model
                .global_types
                .get(name.namespace, &name.local)
                .map(Original::Type),
            Kind::Group => self
                .model
                .global_groups
                .get(name.namespace, &name.local)
                .map(Original::Group),
            Kind::AttributeGroup => self
                .model
                .global_attribute_groups
                .get(name.namespace, &name.local)
                .map(Original::AttributeGroup),
            _ => None,
        };
        let Some(original) = original else {
            let rule = match kind {
                Kind::Group => "src-redefine.6.1.1",
                Kind::AttributeGroup => "src-redefine.7.1",
                _ => "src-redefine.2",
            };
            let shown = self.model.display_name(&name);
            self.error(
                doc,
                node,
                rule,
                format!(
                    "xs:redefine of {} '{shown}', which the redefined schema does not define",
                    kind.noun()
                ),
            );
            return None;
        };
        if let (Original::Type(t), true) = (
            original,
            matches!(kind, Kind::SimpleType | Kind::ComplexType),
        ) {
            let original_simple =
                matches!(self.model.types.get(t.index()), Some(TypeDef::Simple(_)));
            if original_simple != (kind == Kind::SimpleType) {
                self.error(
                    doc,
                    node,
                    "src-redefine.5",
                    format!("redefinition of '{name_attr}' changes a simple type into a complex one or back"),
                );
                return None;
            }
        }
        let slot = self.register(doc, node, kind, true)?;
        Some((slot, original))
    }

    /// The component a redefinition replaces must come from the schema it redefines: not
    /// from the redefining document itself (its own definition, or a second redefinition of
    /// the same name, would be a duplicate), and not from another document's redefinition
    /// of it unless this document redefines that one (two independent redefinitions give two
    /// components with one name). XSD 1.0 src-redefine.6.2.1, 7.2.1 and sch-props-correct.2.
    fn check_redefined_origin(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        original: Original,
        redefinitions: &std::collections::HashSet<(u8, u32)>,
        redefined: &[bool],
    ) {
        let m = &self.model;
        let location = match original {
            Original::None => return,
            Original::Type(t) => m.types.get(t.index()).map(TypeDef::location),
            Original::Group(g) => m.groups.get(g.index()).map(|g| g.location),
            Original::AttributeGroup(g) => m.attribute_groups.get(g.index()).map(|g| g.location),
        };
        let Some(location) = location else {
            return;
        };
        let name = node.unqualified("name").map(collapse).unwrap_or_default();
        // The same name defined at the top level of this document, in the same symbol space
        // (types share one): its redefinition would be a second component with that name.
        fn space(local: &str) -> &str {
            match local {
                "simpleType" | "complexType" => "type",
                other => other,
            }
        }
        let own_definition = node
            .parent()
            .and_then(|redefine| redefine.parent())
            .is_some_and(|root| {
                xsd_children(root).any(|c| {
                    space(c.tag_name().name()) == space(node.tag_name().name())
                        && c.unqualified("name").map(collapse) == Some(name)
                })
            });
        let message = if own_definition {
            format!("'{name}' is defined by this schema document itself as well as redefined by it")
        } else if location.document == doc.id {
            if redefinitions.contains(&original_key(original)) {
                format!("'{name}' is redefined twice in this schema document")
            } else {
                format!(
                    "'{name}' is defined by this schema document itself, not by the schema it redefines"
                )
            }
        } else if redefinitions.contains(&original_key(original))
            && !redefined
                .get(location.document.index())
                .copied()
                .unwrap_or(true)
        {
            format!(
                "'{name}' is also redefined by another schema document ({}) that this one does not redefine",
                m.documents
                    .get(location.document.index())
                    .map(|d| d.path.display().to_string())
                    .unwrap_or_default()
            )
        } else {
            return;
        };
        self.error(doc, node, "sch-props-correct.2", message);
    }

    // ---- pass 2 ----

    fn build_top_level(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        slot: Slot2,
        original: Original,
    ) {
        match slot {
            Slot2::Element(id) => {
                self.element_decl(doc, node, Some(id));
            }
            Slot2::Attribute(id) => self.global_attribute(doc, node, id),
            Slot2::Type(id) => {
                let orig = if let Original::Type(t) = original {
                    Some(t)
                } else {
                    None
                };
                if node.tag_name().name() == "simpleType" {
                    self.simple_type(doc, node, Some(id), orig);
                } else {
                    self.complex_type(doc, node, Some(id), orig);
                }
            }
            Slot2::Group(id) => {
                let orig = if let Original::Group(g) = original {
                    Some(g)
                } else {
                    None
                };
                self.group_def(doc, node, id, orig);
            }
            Slot2::AttributeGroup(id) => {
                let orig = if let Original::AttributeGroup(g) = original {
                    Some(g)
                } else {
                    None
                };
                self.attribute_group_def(doc, node, id, orig);
            }
            Slot2::Notation(id) => self.notation(doc, node, id),
        }
    }

    fn notation(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, id: NotationId) {
        self.check_attributes(doc, node, &["name", "public", "system"]);
        self.check_content(doc, node, ANNOTATION_ONLY);
        if let Some(n) = self.model.notations.get_mut(id.index()) {
            n.public = node.unqualified("public").map(str::to_owned);
            n.system = node.unqualified("system").map(str::to_owned);
        }
    }

    /// Builds an element declaration: top-level (`slot` given) or local.
    fn element_decl(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        slot: Option<ElementId>,
    ) -> Option<ElementId> {
        let global = slot.is_some();
        if global {
            self.check_attributes(
                doc,
                node,
                &[
                    "abstract",
                    "block",
                    "default",
                    "final",
                    "fixed",
                    "name",
                    "nillable",
                    "substitutionGroup",
                    "type",
                ],
            );
        } else {
            self.check_attributes(
                doc,
                node,
                &[
                    "block",
                    "default",
                    "fixed",
                    "form",
                    "maxOccurs",
                    "minOccurs",
                    "name",
                    "nillable",
                    "type",
                    "ref",
                ],
            );
        }
        self.check_content(
            doc,
            node,
            &[
                ANNOTATION,
                opt(&["simpleType", "complexType"]),
                any_number(&["unique", "key", "keyref"]),
            ],
        );
        let location = doc.location(node);
        let name = match slot {
            Some(id) => self
                .model
                .elements
                .get(id.index())
                .map(|e| e.name.clone())?,
            None => {
                let Some(local) = node.unqualified("name").map(collapse) else {
                    self.error(
                        doc,
                        node,
                        "src-element.2.1",
                        "a local xs:element needs 'name' or 'ref'".to_owned(),
                    );
                    return None;
                };
                if !is_ncname(local) {
                    self.error(
                        doc,
                        node,
                        "s4s-att-invalid-value",
                        format!("name '{local}' is not an NCName"),
                    );
                }
                let qualified = self
                    .form(doc, node, "form")
                    .unwrap_or(doc.elements_qualified);
                let namespace = if qualified {
                    doc.target
                } else {
                    NamespaceId::ABSENT
                };
                QName {
                    namespace,
                    local: local.into(),
                }
            }
        };
        let id = match slot {
            Some(id) => id,
            None => {
                let id = ElementId(self.model.elements.len() as u32);
                self.model
                    .elements
                    .push(placeholder_element(name.clone(), location));
                id
            }
        };
        let value_constraint = self.value_constraint(doc, node, "src-element.1");
        let type_attr = node.unqualified("type");
        let anonymous = xsd_children(node)
            .find(|c| matches!(c.tag_name().name(), "simpleType" | "complexType"));
        if type_attr.is_some() && anonymous.is_some() {
            self.error(
                doc,
                node,
                "src-element.3",
                "xs:element has both a 'type' attribute and an anonymous type".to_owned(),
            );
        }
        let substitution_group = if global {
            node.unqualified("substitutionGroup")
                .and_then(|v| self.qname(doc, node, v))
                .and_then(|q| self.lookup_element(doc, node, &q))
        } else {
            None
        };
        let type_def = if let Some(t) = type_attr {
            self.type_ref(doc, node, t, false)
                .unwrap_or(TypeRef::AnyType)
        } else if let Some(a) = anonymous {
            let t = if a.tag_name().name() == "simpleType" {
                self.simple_type(doc, a, None, None)
            } else {
                self.complex_type(doc, a, None, None)
            };
            TypeRef::Defined(t)
        } else {
            if substitution_group.is_some() {
                self.untyped_members.push(id);
            }
            TypeRef::AnyType
        };
        let all_block = DerivationSet::EXTENSION
            .union(DerivationSet::RESTRICTION)
            .union(DerivationSet::SUBSTITUTION);
        let ext_restr = DerivationSet::EXTENSION.union(DerivationSet::RESTRICTION);
        let block = self
            .derivation_attr(doc, node, "block", all_block)
            .unwrap_or(DerivationSet::from_bits(
                doc.block_default.bits() & all_block.bits(),
            ));
        let final_set = if global {
            self.derivation_attr(doc, node, "final", ext_restr)
                .unwrap_or(DerivationSet::from_bits(
                    doc.final_default.bits() & ext_restr.bits(),
                ))
        } else {
            DerivationSet::EMPTY
        };
        let nillable = self.boolean(doc, node, "nillable").unwrap_or(false);
        let is_abstract = global && self.boolean(doc, node, "abstract").unwrap_or(false);
        let namespaces = self.scope(node);
        let mut identity_constraints = Vec::new();
        for c in xsd_children(node) {
            if matches!(c.tag_name().name(), "unique" | "key" | "keyref") {
                if let Some(ic) = self.identity_constraint(doc, c, id) {
                    identity_constraints.push(ic);
                }
            }
        }
        if let Some(e) = self.model.elements.get_mut(id.index()) {
            *e = ElementDecl {
                name,
                global,
                type_def,
                nillable,
                is_abstract,
                value_constraint,
                namespaces,
                substitution_group,
                block,
                final_set,
                identity_constraints,
                location,
            };
        }
        Some(id)
    }

    fn identity_constraint(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        element: ElementId,
    ) -> Option<IdentityConstraintId> {
        let keyref = node.tag_name().name() == "keyref";
        if keyref {
            self.check_attributes(doc, node, &["name", "refer"]);
        } else {
            self.check_attributes(doc, node, &["name"]);
        }
        self.check_content(
            doc,
            node,
            &[ANNOTATION, one(&["selector"]), at_least_one(&["field"])],
        );
        let name = self.top_name(doc, node)?;
        let location = doc.location(node);
        let xpath = |b: &mut Builder, n: Node<'_, '_>| -> Option<XPathExpr> {
            b.check_attributes(doc, n, &["xpath"]);
            b.check_content(doc, n, ANNOTATION_ONLY);
            let Some(text) = n.unqualified("xpath") else {
                b.error(
                    doc,
                    n,
                    "s4s-att-must-appear",
                    format!("xs:{} requires the attribute 'xpath'", n.tag_name().name()),
                );
                return None;
            };
            Some(XPathExpr {
                text: text.to_owned(),
                namespaces: b.scope(n),
                location: doc.location(n),
            })
        };
        let selector = child(node, "selector").and_then(|s| xpath(self, s))?;
        let fields: Vec<XPathExpr> = xsd_children(node)
            .filter(|c| c.tag_name().name() == "field")
            .filter_map(|f| xpath(self, f))
            .collect();
        let id = IdentityConstraintId(self.model.identity_constraints.len() as u32);
        let kind = match node.tag_name().name() {
            "key" => IdentityConstraintKind::Key,
            "unique" => IdentityConstraintKind::Unique,
            _ => {
                match node
                    .unqualified("refer")
                    .and_then(|r| self.qname(doc, node, r))
                {
                    Some(q) => self.pending_refers.push((id, q, location)),
                    None if node.unqualified("refer").is_none() => self.error(
                        doc,
                        node,
                        "s4s-att-must-appear",
                        "xs:keyref requires the attribute 'refer'".to_owned(),
                    ),
                    None => {}
                }
                // Placeholder until `resolve` sets the referenced key.
                IdentityConstraintKind::KeyRef { refer: id }
            }
        };
        if self
            .model
            .global_identity_constraints
            .insert(&name, id)
            .is_some()
        {
            let shown = self.model.display_name(&name);
            self.error(
                doc,
                node,
                "sch-props-correct.2",
                format!("duplicate identity constraint '{shown}'"),
            );
        }
        self.model.identity_constraints.push(IdentityConstraint {
            name,
            kind,
            selector,
            fields,
            element,
            location,
        });
        Some(id)
    }

    fn global_attribute(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, id: AttributeId) {
        self.check_attributes(doc, node, &["default", "fixed", "name", "type"]);
        self.check_content(doc, node, &[ANNOTATION, opt(&["simpleType"])]);
        let value_constraint = self.value_constraint(doc, node, "src-attribute.1");
        let type_def = self.attribute_type(doc, node);
        let namespaces = self.scope(node);
        if let Some(a) = self.model.attributes.get_mut(id.index()) {
            let local = a.name.local.clone();
            a.type_def = type_def;
            a.value_constraint = value_constraint;
            a.namespaces = namespaces;
            if &*local == "xmlns" {
                self.error(
                    doc,
                    node,
                    "no-xmlns",
                    "an attribute must not be named 'xmlns'".to_owned(),
                );
            }
        }
        if self.model.namespaces.uri(doc.target) == Some(XSI_NS) {
            self.error(
                doc,
                node,
                "no-xsi",
                format!("attributes must not be declared in the namespace {XSI_NS}"),
            );
        }
    }

    fn attribute_type(&mut self, doc: &Doc<'_>, node: Node<'_, '_>) -> TypeRef {
        let anonymous = child(node, "simpleType");
        match (node.unqualified("type"), anonymous) {
            (Some(_), Some(_)) => {
                self.error(
                    doc,
                    node,
                    "src-attribute.4",
                    "xs:attribute has both a 'type' attribute and an anonymous type".to_owned(),
                );
                TypeRef::Builtin(Builtin::AnySimpleType)
            }
            (Some(t), None) => self
                .type_ref(doc, node, t, true)
                .unwrap_or(TypeRef::Builtin(Builtin::AnySimpleType)),
            (None, Some(a)) => TypeRef::Defined(self.simple_type(doc, a, None, None)),
            (None, None) => TypeRef::Builtin(Builtin::AnySimpleType),
        }
    }

    /// A local attribute (declaration or reference) inside a complex type or attribute group.
    fn attribute_use(&mut self, doc: &Doc<'_>, node: Node<'_, '_>) -> Option<AttributeUse> {
        self.check_attributes(
            doc,
            node,
            &["default", "fixed", "form", "name", "ref", "type", "use"],
        );
        self.check_content(doc, node, &[ANNOTATION, opt(&["simpleType"])]);
        let location = doc.location(node);
        let use_kind = match node.unqualified("use").map(collapse) {
            None | Some("optional") => AttributeUseKind::Optional,
            Some("required") => AttributeUseKind::Required,
            Some("prohibited") => AttributeUseKind::Prohibited,
            Some(other) => {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("use='{other}' is not optional, required or prohibited"),
                );
                AttributeUseKind::Optional
            }
        };
        let value_constraint = self.value_constraint(doc, node, "src-attribute.1");
        if node.has_attribute("default") && use_kind != AttributeUseKind::Optional {
            self.error(
                doc,
                node,
                "src-attribute.2",
                "an attribute with a default must have use='optional'".to_owned(),
            );
        }
        match (node.unqualified("ref"), node.unqualified("name")) {
            (Some(_), Some(_)) | (None, None) => {
                self.error(
                    doc,
                    node,
                    "src-attribute.3.1",
                    "xs:attribute needs exactly one of 'name' and 'ref'".to_owned(),
                );
                None
            }
            (Some(r), None) => {
                if node.has_attribute("form")
                    || node.has_attribute("type")
                    || child(node, "simpleType").is_some()
                {
                    self.error(
                        doc,
                        node,
                        "src-attribute.3.2",
                        "an attribute reference must not have 'form', 'type' or an anonymous type"
                            .to_owned(),
                    );
                }
                let q = self.qname(doc, node, r)?;
                let declaration =
                    self.lookup(doc, node, &q, Kind::Attribute)
                        .and_then(|s| match s {
                            Slot2::Attribute(a) => Some(a),
                            _ => None,
                        })?;
                Some(AttributeUse {
                    declaration,
                    use_kind,
                    value_constraint,
                    location,
                })
            }
            (None, Some(local)) => {
                let local = collapse(local);
                if !is_ncname(local) {
                    self.error(
                        doc,
                        node,
                        "s4s-att-invalid-value",
                        format!("name '{local}' is not an NCName"),
                    );
                }
                if local == "xmlns" {
                    self.error(
                        doc,
                        node,
                        "no-xmlns",
                        "an attribute must not be named 'xmlns'".to_owned(),
                    );
                }
                let qualified = self
                    .form(doc, node, "form")
                    .unwrap_or(doc.attributes_qualified);
                let namespace = if qualified {
                    doc.target
                } else {
                    NamespaceId::ABSENT
                };
                if qualified && self.model.namespaces.uri(doc.target) == Some(XSI_NS) {
                    self.error(
                        doc,
                        node,
                        "no-xsi",
                        format!("attributes must not be declared in the namespace {XSI_NS}"),
                    );
                }
                let type_def = self.attribute_type(doc, node);
                let namespaces = self.scope(node);
                let declaration = AttributeId(self.model.attributes.len() as u32);
                self.model.attributes.push(AttributeDecl {
                    name: QName {
                        namespace,
                        local: local.into(),
                    },
                    global: false,
                    type_def,
                    value_constraint,
                    namespaces,
                    location,
                });
                Some(AttributeUse {
                    declaration,
                    use_kind,
                    value_constraint: None,
                    location,
                })
            }
        }
    }

    /// Attribute uses, attribute-group references and the wildcard among `node`'s children.
    fn attribute_content(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        redefining: Option<(&QName, AttributeGroupId)>,
    ) -> (Vec<AttributeUse>, Vec<Wildcard>, Vec<AttributeGroupId>) {
        let mut uses = Vec::new();
        let mut wildcards = Vec::new();
        let mut groups = Vec::new();
        let mut self_refs = 0;
        for c in xsd_children(node) {
            match c.tag_name().name() {
                "attribute" => uses.extend(self.attribute_use(doc, c)),
                "attributeGroup" => {
                    self.check_attributes(doc, c, &["ref"]);
                    self.check_content(doc, c, ANNOTATION_ONLY);
                    if c.has_attribute("name") {
                        continue;
                    }
                    let Some(r) = c.unqualified("ref") else {
                        self.error(
                            doc,
                            c,
                            "s4s-att-must-appear",
                            "xs:attributeGroup reference requires 'ref'".to_owned(),
                        );
                        continue;
                    };
                    let Some(q) = self.qname(doc, c, r) else {
                        continue;
                    };
                    if let Some((name, original)) = redefining {
                        if q == *name {
                            self_refs += 1;
                            if self_refs > 1 {
                                self.error(
                                    doc,
                                    c,
                                    "src-redefine.7.1",
                                    "more than one self-reference in a redefined attribute group"
                                        .to_owned(),
                                );
                            }
                            groups.push(original);
                            continue;
                        }
                    }
                    if let Some(Slot2::AttributeGroup(g)) =
                        self.lookup(doc, c, &q, Kind::AttributeGroup)
                    {
                        groups.push(g);
                    }
                }
                "anyAttribute" => {
                    self.check_attributes(doc, c, &["namespace", "processContents"]);
                    self.check_content(doc, c, ANNOTATION_ONLY);
                    wildcards.extend(self.wildcard(doc, c));
                }
                _ => {}
            }
        }
        (uses, wildcards, groups)
    }

    fn attribute_group_def(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        id: AttributeGroupId,
        original: Option<AttributeGroupId>,
    ) {
        self.check_attributes(doc, node, &["name"]);
        let mut slots = vec![ANNOTATION];
        slots.extend(ATTRIBUTE_SLOTS);
        self.check_content(doc, node, &slots);
        let Some(name) = self
            .model
            .attribute_groups
            .get(id.index())
            .map(|g| g.name.clone())
        else {
            return;
        };
        let (uses, wildcards, groups) =
            self.attribute_content(doc, node, original.map(|o| (&name, o)));
        let restricts = original.filter(|o| !groups.contains(o));
        if let Some(g) = self.model.attribute_groups.get_mut(id.index()) {
            g.attribute_uses = uses;
            g.attribute_wildcards = wildcards;
            g.attribute_groups = groups;
            g.restricts = restricts;
        }
    }

    fn wildcard(&mut self, doc: &Doc<'_>, node: Node<'_, '_>) -> Option<Wildcard> {
        let location = doc.location(node);
        let process_contents = match node.unqualified("processContents").map(collapse) {
            None | Some("strict") => ProcessContents::Strict,
            Some("lax") => ProcessContents::Lax,
            Some("skip") => ProcessContents::Skip,
            Some(other) => {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("processContents='{other}' is not strict, lax or skip"),
                );
                ProcessContents::Strict
            }
        };
        let namespaces = match node.unqualified("namespace").map(collapse) {
            None | Some("##any") => NamespaceConstraint::Any,
            Some("##other") => NamespaceConstraint::Not(doc.target),
            Some(list) => {
                let mut set = Vec::new();
                for token in list.split_ascii_whitespace() {
                    let ns = match token {
                        "##targetNamespace" => doc.target,
                        "##local" => NamespaceId::ABSENT,
                        t if t.starts_with("##") => {
                            self.error(
                                doc,
                                node,
                                "s4s-att-invalid-value",
                                format!("'{t}' is not allowed in a namespace list"),
                            );
                            continue;
                        }
                        t => self.model.namespaces.intern(Some(t)),
                    };
                    if !set.contains(&ns) {
                        set.push(ns);
                    }
                }
                NamespaceConstraint::Set(set)
            }
        };
        Some(Wildcard {
            namespaces,
            process_contents,
            location,
        })
    }

    fn group_def(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        id: GroupId,
        original: Option<GroupId>,
    ) {
        self.check_attributes(doc, node, &["name"]);
        self.check_content(
            doc,
            node,
            &[ANNOTATION, one(&["all", "choice", "sequence"])],
        );
        let Some(name) = self.model.groups.get(id.index()).map(|g| g.name.clone()) else {
            return;
        };
        let Some(compositor_node) = xsd_children(node)
            .find(|c| matches!(c.tag_name().name(), "all" | "choice" | "sequence"))
        else {
            return;
        };
        for a in ["minOccurs", "maxOccurs"] {
            if compositor_node.has_attribute(a) {
                self.error(
                    doc,
                    compositor_node,
                    "s4s-att-not-allowed",
                    format!("'{a}' is not allowed on the model group of a named group definition"),
                );
            }
        }
        let ctx = Ctx {
            redefining_group: original.map(|o| (&name, o)),
            self_references: std::cell::Cell::new(0),
        };
        let particle = self.particle(doc, compositor_node, &ctx);
        if let Some(g) = self.model.groups.get_mut(id.index()) {
            if let Some(Particle {
                term: Term::ModelGroup(mg),
                ..
            }) = particle
            {
                g.model_group = mg;
            }
            g.restricts = original.filter(|_| ctx.self_references.get() == 0);
        }
    }

    /// Builds a particle from element/group/choice/sequence/all/any.
    fn particle(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, ctx: &Ctx<'_>) -> Option<Particle> {
        let location = doc.location(node);
        let min_occurs = self.min_occurs(doc, node);
        let max_occurs = self.max_occurs(doc, node);
        if let MaxOccurs::Bounded(max) = max_occurs {
            if min_occurs > max {
                self.error(
                    doc,
                    node,
                    "p-props-correct.2.1",
                    format!("minOccurs ({min_occurs}) is greater than maxOccurs ({max})"),
                );
            }
        }
        let local = node.tag_name().name();
        let term = match local {
            "element" => {
                if let Some(r) = node.unqualified("ref") {
                    self.check_attributes(
                        doc,
                        node,
                        &[
                            "ref",
                            "minOccurs",
                            "maxOccurs",
                            "name",
                            "block",
                            "default",
                            "fixed",
                            "form",
                            "nillable",
                            "type",
                        ],
                    );
                    self.check_content(doc, node, ANNOTATION_ONLY);
                    if node.has_attribute("name") {
                        self.error(
                            doc,
                            node,
                            "src-element.2.1",
                            "xs:element must not have both 'name' and 'ref'".to_owned(),
                        );
                    }
                    let forbidden = ["nillable", "default", "fixed", "form", "block", "type"];
                    if forbidden.iter().any(|a| node.has_attribute(*a))
                        || xsd_children(node).any(|c| c.tag_name().name() != "annotation")
                    {
                        self.error(
                            doc,
                            node,
                            "src-element.2.2",
                            "an element reference may only have minOccurs, maxOccurs and an annotation".to_owned(),
                        );
                    }
                    let q = self.qname(doc, node, r)?;
                    Term::Element(self.lookup_element(doc, node, &q)?)
                } else {
                    Term::Element(self.element_decl(doc, node, None)?)
                }
            }
            "group" => {
                self.check_attributes(doc, node, &["ref", "minOccurs", "maxOccurs"]);
                self.check_content(doc, node, ANNOTATION_ONLY);
                let Some(r) = node.unqualified("ref") else {
                    self.error(
                        doc,
                        node,
                        "s4s-att-must-appear",
                        "a group reference requires 'ref'".to_owned(),
                    );
                    return None;
                };
                let q = self.qname(doc, node, r)?;
                if let Some((name, original)) = ctx.redefining_group {
                    if q == *name {
                        ctx.self_references.set(ctx.self_references.get() + 1);
                        if min_occurs != 1 || max_occurs != MaxOccurs::Bounded(1) {
                            self.error(doc, node, "src-redefine.6.1.2", "the self-reference of a redefined group must have minOccurs and maxOccurs 1".to_owned());
                        }
                        return Some(Particle {
                            min_occurs,
                            max_occurs,
                            term: Term::Group(original),
                            location,
                        });
                    }
                }
                match self.lookup(doc, node, &q, Kind::Group)? {
                    Slot2::Group(g) => Term::Group(g),
                    _ => return None,
                }
            }
            "sequence" | "choice" | "all" => {
                self.check_attributes(doc, node, &["minOccurs", "maxOccurs"]);
                let compositor = match local {
                    "sequence" => Compositor::Sequence,
                    "choice" => Compositor::Choice,
                    _ => Compositor::All,
                };
                if compositor == Compositor::All {
                    self.check_content(doc, node, &[ANNOTATION, any_number(&["element"])]);
                    if min_occurs > 1 || max_occurs != MaxOccurs::Bounded(1) {
                        self.error(
                            doc,
                            node,
                            "s4s-att-invalid-value",
                            "xs:all must have minOccurs 0 or 1 and maxOccurs 1".to_owned(),
                        );
                    }
                } else {
                    self.check_content(doc, node, &[ANNOTATION, any_number(PARTICLES)]);
                }
                let mut particles = Vec::new();
                for c in xsd_children(node) {
                    if c.tag_name().name() == "annotation" {
                        continue;
                    }
                    if !PARTICLES.contains(&c.tag_name().name()) {
                        continue;
                    }
                    if let Some(p) = self.particle(doc, c, ctx) {
                        if compositor == Compositor::All
                            && !matches!(p.max_occurs, MaxOccurs::Bounded(0 | 1))
                        {
                            self.error(
                                doc,
                                c,
                                "cos-all-limited.2",
                                "elements in xs:all must have maxOccurs 0 or 1".to_owned(),
                            );
                        }
                        particles.push(p);
                    }
                }
                Term::ModelGroup(ModelGroup {
                    compositor,
                    particles,
                })
            }
            "any" => {
                self.check_attributes(
                    doc,
                    node,
                    &["minOccurs", "maxOccurs", "namespace", "processContents"],
                );
                self.check_content(doc, node, ANNOTATION_ONLY);
                Term::Wildcard(self.wildcard(doc, node)?)
            }
            _ => return None,
        };
        Some(Particle {
            min_occurs,
            max_occurs,
            term,
            location,
        })
    }

    /// The arena slot of a type definition (reserved for a named type, else a new one holding
    /// `placeholder`) and the name of a named type.
    fn type_slot(
        &mut self,
        slot: Option<TypeId>,
        placeholder: impl FnOnce() -> TypeDef,
    ) -> (TypeId, Option<QName>) {
        let id = match slot {
            Some(id) => id,
            None => {
                let id = TypeId(self.model.types.len() as u32);
                self.model.types.push(placeholder());
                id
            }
        };
        let name = slot.and_then(|s| {
            self.model
                .types
                .get(s.index())
                .and_then(TypeDef::name)
                .cloned()
        });
        (id, name)
    }

    fn complex_type(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        slot: Option<TypeId>,
        original: Option<TypeId>,
    ) -> TypeId {
        let location = doc.location(node);
        let (id, name) = self.type_slot(slot, || placeholder_complex(None, location));
        if name.is_some() {
            self.check_attributes(doc, node, &["abstract", "block", "final", "mixed", "name"]);
        } else {
            self.check_attributes(doc, node, &["mixed"]);
        }
        let mut slots = vec![
            ANNOTATION,
            opt(&[
                "simpleContent",
                "complexContent",
                "group",
                "all",
                "choice",
                "sequence",
            ]),
        ];
        slots.extend(ATTRIBUTE_SLOTS);
        self.check_content(doc, node, &slots);
        let ext_restr = DerivationSet::EXTENSION.union(DerivationSet::RESTRICTION);
        let block = self
            .derivation_attr(doc, node, "block", ext_restr)
            .unwrap_or(DerivationSet::from_bits(
                doc.block_default.bits() & ext_restr.bits(),
            ));
        let final_set = self
            .derivation_attr(doc, node, "final", ext_restr)
            .unwrap_or(DerivationSet::from_bits(
                doc.final_default.bits() & ext_restr.bits(),
            ));
        let is_abstract = self.boolean(doc, node, "abstract").unwrap_or(false);
        let mut mixed = self.boolean(doc, node, "mixed").unwrap_or(false);
        let ctx = Ctx {
            redefining_group: None,
            self_references: std::cell::Cell::new(0),
        };

        let simple_content = child(node, "simpleContent");
        let complex_content = child(node, "complexContent");
        let (base, derivation, content, attr_holder) =
            if let Some(sc) = simple_content.or(complex_content) {
                if xsd_children(node).any(|c| {
                    ATTRS.contains(&c.tag_name().name()) || c.tag_name().name() == "anyAttribute"
                }) {
                    self.error(
                        doc,
                        node,
                        "s4s-elt-invalid-content.1",
                        format!(
                            "attributes must be declared inside xs:{}, not beside it",
                            sc.tag_name().name()
                        ),
                    );
                }
                let is_simple = sc.tag_name().name() == "simpleContent";
                if is_simple {
                    self.check_attributes(doc, sc, &[]);
                } else {
                    self.check_attributes(doc, sc, &["mixed"]);
                    if let Some(m) = self.boolean(doc, sc, "mixed") {
                        mixed = m;
                    }
                }
                self.check_content(doc, sc, &[ANNOTATION, one(&["restriction", "extension"])]);
                let Some(der) = xsd_children(sc)
                    .find(|c| matches!(c.tag_name().name(), "restriction" | "extension"))
                else {
                    return id;
                };
                let derivation = if der.tag_name().name() == "extension" {
                    Derivation::Extension
                } else {
                    Derivation::Restriction
                };
                self.check_attributes(doc, der, &["base"]);
                let mut der_slots = vec![ANNOTATION];
                if is_simple && derivation == Derivation::Restriction {
                    der_slots.push(opt(&["simpleType"]));
                    der_slots.push(any_number(FACETS));
                } else if !is_simple {
                    der_slots.push(opt(MODEL_GROUPS));
                }
                der_slots.extend(ATTRIBUTE_SLOTS);
                self.check_content(doc, der, &der_slots);
                let base = match der.unqualified("base") {
                    None => {
                        self.error(
                            doc,
                            der,
                            "s4s-att-must-appear",
                            format!("xs:{} requires the attribute 'base'", der.tag_name().name()),
                        );
                        TypeRef::AnyType
                    }
                    Some(b) => {
                        let q = self.qname(doc, der, b);
                        match (q, original, &name) {
                            (Some(q), Some(orig), Some(n)) if q == *n => TypeRef::Defined(orig),
                            (Some(q), Some(_), Some(n)) => {
                                let _ = q;
                                let shown = self.model.display_name(n);
                                self.error(
                                    doc,
                                    der,
                                    "src-redefine.5",
                                    format!("a redefined type must derive from itself ('{shown}')"),
                                );
                                TypeRef::AnyType
                            }
                            (Some(q), _, _) => self
                                .resolve_type(doc, der, &q, false)
                                .unwrap_or(TypeRef::AnyType),
                            (None, _, _) => TypeRef::AnyType,
                        }
                    }
                };
                let content = if is_simple {
                    let simple_type =
                        child(der, "simpleType").map(|s| self.simple_type(doc, s, None, None));
                    let facets = self.facets(doc, der);
                    ComplexContent::Simple {
                        simple_type,
                        facets,
                    }
                } else {
                    self.complex_content_bases
                        .push((id, base, doc.location(der)));
                    let particle = xsd_children(der)
                        .find(|c| MODEL_GROUPS.contains(&c.tag_name().name()))
                        .and_then(|p| self.particle(doc, p, &ctx));
                    ComplexContent::Complex { particle }
                };
                (base, derivation, content, der)
            } else {
                if original.is_some() {
                    self.error(
                        doc,
                        node,
                        "src-redefine.5",
                        "a redefined complex type must derive from itself".to_owned(),
                    );
                }
                let particle = xsd_children(node)
                    .find(|c| MODEL_GROUPS.contains(&c.tag_name().name()))
                    .and_then(|p| self.particle(doc, p, &ctx));
                (
                    TypeRef::AnyType,
                    Derivation::Restriction,
                    ComplexContent::Complex { particle },
                    node,
                )
            };
        let (attribute_uses, attribute_wildcards, attribute_groups) =
            self.attribute_content(doc, attr_holder, None);
        if let Some(t) = self.model.types.get_mut(id.index()) {
            *t = TypeDef::Complex(ComplexTypeDef {
                name,
                base,
                derivation,
                is_abstract,
                mixed,
                block,
                final_set,
                content,
                attribute_uses,
                attribute_wildcards,
                attribute_groups,
                location,
            });
        }
        id
    }

    fn facets(&mut self, doc: &Doc<'_>, node: Node<'_, '_>) -> Vec<Facet> {
        let mut facets = Vec::new();
        for c in xsd_children(node) {
            let Some(kind) = FacetKind::from_local(c.tag_name().name()) else {
                continue;
            };
            if matches!(kind, FacetKind::Pattern | FacetKind::Enumeration) {
                self.check_attributes(doc, c, &["value"]);
            } else {
                self.check_attributes(doc, c, &["value", "fixed"]);
            }
            self.check_content(doc, c, ANNOTATION_ONLY);
            let Some(value) = c.unqualified("value") else {
                self.error(
                    doc,
                    c,
                    "s4s-att-must-appear",
                    format!("xs:{} requires the attribute 'value'", c.tag_name().name()),
                );
                continue;
            };
            let fixed = self.boolean(doc, c, "fixed").unwrap_or(false);
            facets.push(Facet {
                kind,
                value: value.to_owned(),
                fixed,
                namespaces: self.scope(c),
                location: doc.location(c),
            });
        }
        facets
    }

    fn simple_type(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        slot: Option<TypeId>,
        original: Option<TypeId>,
    ) -> TypeId {
        let location = doc.location(node);
        let (id, name) = self.type_slot(slot, || placeholder_simple(None, location));
        if name.is_some() {
            self.check_attributes(doc, node, &["final", "name"]);
        } else {
            self.check_attributes(doc, node, &[]);
        }
        self.check_content(
            doc,
            node,
            &[ANNOTATION, one(&["restriction", "list", "union"])],
        );
        let st_final = DerivationSet::RESTRICTION
            .union(DerivationSet::LIST)
            .union(DerivationSet::UNION);
        let final_set = self
            .derivation_attr(doc, node, "final", st_final)
            .unwrap_or(DerivationSet::from_bits(
                doc.final_default.bits() & st_final.bits(),
            ));
        let any_simple = TypeRef::Builtin(Builtin::AnySimpleType);
        let Some(def) = xsd_children(node)
            .find(|c| matches!(c.tag_name().name(), "restriction" | "list" | "union"))
        else {
            return id;
        };
        if original.is_some() && def.tag_name().name() != "restriction" {
            self.error(
                doc,
                def,
                "src-redefine.5",
                "a redefined simple type must restrict itself".to_owned(),
            );
        }
        let variety = match def.tag_name().name() {
            "restriction" => {
                self.check_attributes(doc, def, &["base"]);
                let mut slots = vec![ANNOTATION, opt(&["simpleType"])];
                slots.push(any_number(FACETS));
                self.check_content(doc, def, &slots);
                let anonymous = child(def, "simpleType");
                let base = match (def.unqualified("base"), anonymous) {
                    (Some(_), Some(_)) | (None, None) => {
                        self.error(
                            doc,
                            def,
                            "src-simple-type.2",
                            "xs:restriction needs exactly one of a 'base' attribute and an anonymous simpleType".to_owned(),
                        );
                        anonymous.map_or(any_simple, |a| {
                            TypeRef::Defined(self.simple_type(doc, a, None, None))
                        })
                    }
                    (Some(b), None) => {
                        let q = self.qname(doc, def, b);
                        match (q, original, &name) {
                            (Some(q), Some(orig), Some(n)) if q == *n => TypeRef::Defined(orig),
                            (Some(_), Some(_), Some(_)) => {
                                self.error(
                                    doc,
                                    def,
                                    "src-redefine.5",
                                    "a redefined simple type must restrict itself".to_owned(),
                                );
                                any_simple
                            }
                            (Some(q), _, _) => {
                                let base = self.resolve_type(doc, def, &q, true);
                                if base == Some(any_simple) {
                                    // A restriction is atomic when its base is; anySimpleType
                                    // has no variety, so there is nothing to restrict (Part 2,
                                    // cos-st-restricts.1.1).
                                    self.error(
                                        doc,
                                        def,
                                        "cos-st-restricts.1.1",
                                        "xs:anySimpleType cannot be the base of a simple type restriction; restrict a primitive type or one derived from it".to_owned(),
                                    );
                                }
                                base.unwrap_or(any_simple)
                            }
                            (None, _, _) => any_simple,
                        }
                    }
                    (None, Some(a)) => TypeRef::Defined(self.simple_type(doc, a, None, None)),
                };
                SimpleVariety::Restriction {
                    base,
                    facets: self.facets(doc, def),
                }
            }
            "list" => {
                self.check_attributes(doc, def, &["itemType"]);
                self.check_content(doc, def, &[ANNOTATION, opt(&["simpleType"])]);
                let anonymous = child(def, "simpleType");
                let item = match (def.unqualified("itemType"), anonymous) {
                    (Some(t), None) => self.type_ref(doc, def, t, true).unwrap_or(any_simple),
                    (None, Some(a)) => TypeRef::Defined(self.simple_type(doc, a, None, None)),
                    (_, a) => {
                        self.error(
                            doc,
                            def,
                            "src-simple-type.3",
                            "xs:list needs exactly one of an 'itemType' attribute and an anonymous simpleType".to_owned(),
                        );
                        a.map_or(any_simple, |a| {
                            TypeRef::Defined(self.simple_type(doc, a, None, None))
                        })
                    }
                };
                SimpleVariety::List { item }
            }
            _ => {
                self.check_attributes(doc, def, &["memberTypes"]);
                self.check_content(doc, def, &[ANNOTATION, any_number(&["simpleType"])]);
                let mut members = Vec::new();
                if let Some(list) = def.unqualified("memberTypes") {
                    for token in list.split_ascii_whitespace() {
                        if let Some(t) = self.type_ref(doc, def, token, true) {
                            members.push(t);
                        }
                    }
                }
                let anonymous: Vec<_> = xsd_children(def)
                    .filter(|c| c.tag_name().name() == "simpleType")
                    .collect();
                for a in anonymous {
                    members.push(TypeRef::Defined(self.simple_type(doc, a, None, None)));
                }
                if members.is_empty()
                    && def
                        .unqualified("memberTypes")
                        .is_none_or(|m| m.trim().is_empty())
                {
                    self.error(
                        doc,
                        def,
                        "src-simple-type.4",
                        "xs:union needs 'memberTypes' or anonymous member types".to_owned(),
                    );
                }
                SimpleVariety::Union { members }
            }
        };
        if let Some(t) = self.model.types.get_mut(id.index()) {
            *t = TypeDef::Simple(SimpleTypeDef {
                name,
                final_set,
                variety,
                location,
            });
        }
        id
    }

    // ---- references ----

    /// Expands a QName with the bindings in scope at `node` (chameleon documents put
    /// unqualified references into the including schema's namespace).
    fn qname(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, value: &str) -> Option<QName> {
        let value = collapse(value);
        let (prefix, local) = match value.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, value),
        };
        if prefix.is_some_and(|p| !is_ncname(p)) || !is_ncname(local) {
            self.error(
                doc,
                node,
                "s4s-att-invalid-value",
                format!("'{value}' is not a valid QName"),
            );
            return None;
        }
        let uri = match prefix {
            Some("xml") => Some("http://www.w3.org/XML/1998/namespace"),
            Some(p) => match node.lookup_namespace_uri(Some(p)) {
                Some(u) => Some(u),
                None => {
                    self.error(
                        doc,
                        node,
                        "src-resolve",
                        format!("QName '{value}': the prefix '{p}' is not declared"),
                    );
                    return None;
                }
            },
            None => node.lookup_namespace_uri(None).filter(|u| !u.is_empty()),
        };
        let namespace = match uri {
            Some(u) => self.model.namespaces.intern(Some(u)),
            None if doc.chameleon => doc.target,
            None => NamespaceId::ABSENT,
        };
        if namespace != doc.target && uri != Some(XSD_NS) && !doc.imports.contains(&namespace) {
            let (rule, shown) = match uri {
                Some(u) => ("src-resolve.4.2", format!("namespace '{u}'")),
                None => ("src-resolve.4.1", "no namespace".to_owned()),
            };
            self.error(
                doc,
                node,
                rule,
                format!(
                    "QName '{value}' refers to {shown}, which this schema document \
                     neither targets nor imports"
                ),
            );
            return None;
        }
        Some(QName {
            namespace,
            local: local.into(),
        })
    }

    fn type_ref(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        value: &str,
        simple: bool,
    ) -> Option<TypeRef> {
        let q = self.qname(doc, node, value)?;
        self.resolve_type(doc, node, &q, simple)
    }

    fn resolve_type(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        q: &QName,
        simple: bool,
    ) -> Option<TypeRef> {
        if self.model.namespaces.uri(q.namespace) == Some(XSD_NS) {
            if let Some(b) = TypeRef::builtin_named(&q.local) {
                if simple && b == TypeRef::AnyType {
                    self.error(
                        doc,
                        node,
                        "src-resolve",
                        "xs:anyType is not a simple type".to_owned(),
                    );
                    return None;
                }
                return Some(b);
            }
        }
        let id = match self.lookup(doc, node, q, Kind::SimpleType)? {
            Slot2::Type(t) => t,
            _ => return None,
        };
        if simple && matches!(self.model.types.get(id.index()), Some(TypeDef::Complex(_))) {
            let shown = self.model.display_name(q);
            self.error(
                doc,
                node,
                "src-resolve",
                format!("type '{shown}' is a complex type, but a simple type is required here"),
            );
            return None;
        }
        Some(TypeRef::Defined(id))
    }

    fn lookup_element(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        q: &QName,
    ) -> Option<ElementId> {
        match self.lookup(doc, node, q, Kind::Element)? {
            Slot2::Element(e) => Some(e),
            _ => None,
        }
    }

    /// Looks a name up in the symbol space of `kind` (types share one space).
    fn lookup(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        q: &QName,
        kind: Kind,
    ) -> Option<Slot2> {
        let m = &self.model;
        let found = match kind {
            Kind::Element => m
                .global_elements
                .get(q.namespace, &q.local)
                .map(Slot2::Element),
            Kind::Attribute => m
                .global_attributes
                .get(q.namespace, &q.local)
                .map(Slot2::Attribute),
            Kind::SimpleType | Kind::ComplexType => {
                m.global_types.get(q.namespace, &q.local).map(Slot2::Type)
            }
            Kind::Group => m.global_groups.get(q.namespace, &q.local).map(Slot2::Group),
            Kind::AttributeGroup => m
                .global_attribute_groups
                .get(q.namespace, &q.local)
                .map(Slot2::AttributeGroup),
            Kind::Notation => m
                .global_notations
                .get(q.namespace, &q.local)
                .map(Slot2::Notation),
        };
        if found.is_none() {
            let shown = self.model.display_name(q);
            self.error(
                doc,
                node,
                "src-resolve",
                format!("{} '{shown}' is not defined", kind.noun()),
            );
        }
        found
    }

    // ---- attribute values ----

    fn boolean(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, attr: &str) -> Option<bool> {
        match collapse(node.unqualified(attr)?) {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            other => {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("{attr}='{other}' is not a boolean"),
                );
                None
            }
        }
    }

    fn form(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, attr: &str) -> Option<bool> {
        match collapse(node.unqualified(attr)?) {
            "qualified" => Some(true),
            "unqualified" => Some(false),
            other => {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("{attr}='{other}' is not qualified or unqualified"),
                );
                None
            }
        }
    }

    fn derivation_attr(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        attr: &str,
        allowed: DerivationSet,
    ) -> Option<DerivationSet> {
        let value = collapse(node.unqualified(attr)?);
        if value == "#all" {
            return Some(allowed);
        }
        let mut set = DerivationSet::EMPTY;
        for token in value.split_ascii_whitespace() {
            let t = match token {
                "extension" => DerivationSet::EXTENSION,
                "restriction" => DerivationSet::RESTRICTION,
                "substitution" => DerivationSet::SUBSTITUTION,
                "list" => DerivationSet::LIST,
                "union" => DerivationSet::UNION,
                _ => DerivationSet::EMPTY,
            };
            if !allowed.contains(t) {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("'{token}' is not allowed in {attr}='{value}'"),
                );
                continue;
            }
            set = set.union(t);
        }
        Some(set)
    }

    fn min_occurs(&mut self, doc: &Doc<'_>, node: Node<'_, '_>) -> u64 {
        let Some(v) = node.unqualified("minOccurs") else {
            return 1;
        };
        match parse_count(collapse(v)) {
            Some(n) => n,
            None => {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("minOccurs='{v}' is not a non-negative integer"),
                );
                1
            }
        }
    }

    fn max_occurs(&mut self, doc: &Doc<'_>, node: Node<'_, '_>) -> MaxOccurs {
        let Some(v) = node.unqualified("maxOccurs") else {
            return MaxOccurs::Bounded(1);
        };
        let v = collapse(v);
        if v == "unbounded" {
            return MaxOccurs::Unbounded;
        }
        match parse_count(v) {
            Some(n) => MaxOccurs::Bounded(n),
            None => {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("maxOccurs='{v}' is not a non-negative integer or 'unbounded'"),
                );
                MaxOccurs::Bounded(1)
            }
        }
    }

    fn value_constraint(
        &mut self,
        doc: &Doc<'_>,
        node: Node<'_, '_>,
        both_rule: &'static str,
    ) -> Option<ValueConstraint> {
        match (node.unqualified("default"), node.unqualified("fixed")) {
            (Some(_), Some(_)) => {
                self.error(
                    doc,
                    node,
                    both_rule,
                    "'default' and 'fixed' must not both be present".to_owned(),
                );
                None
            }
            (Some(d), None) => Some(ValueConstraint::Default(d.to_owned())),
            (None, Some(f)) => Some(ValueConstraint::Fixed(f.to_owned())),
            (None, None) => None,
        }
    }

    /// The bindings in scope at `node`, shared with the previous call when equal (they almost
    /// always are: schema documents declare namespaces on the root only).
    fn scope(&mut self, node: Node<'_, '_>) -> NamespaceScopeId {
        if let Some((id, raw)) = &self.scope_cache {
            let ns = node.namespaces();
            if ns.len() == raw.len()
                && ns
                    .zip(raw.iter())
                    .all(|(a, (p, u))| a.name() == p.as_deref() && a.uri() == u)
            {
                return *id;
            }
        }
        let raw: RawBindings = node
            .namespaces()
            .map(|n| (n.name().map(str::to_owned), n.uri().to_owned()))
            .collect();
        let bindings = raw
            .iter()
            .map(|(p, u)| {
                (
                    p.as_deref().map(Box::from),
                    self.model.namespaces.intern(Some(u)),
                )
            })
            .collect();
        let id = NamespaceScopeId(self.model.namespace_scopes.len() as u32);
        self.model
            .namespace_scopes
            .push(NamespaceScope { bindings });
        self.scope_cache = Some((id, raw));
        id
    }

    // ---- schema for schemas ----

    /// Attributes: unqualified ones must be in `allowed` (or `id`); none may be in the XSD
    /// namespace; others (xml:lang, foreign) are allowed.
    fn check_attributes(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, allowed: &[&str]) {
        if let Some(id) = node.unqualified("id") {
            // The schema for schemas types `id` as xs:ID: an NCName, unique in the document.
            let id = id.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
            let ncname = crate::datatypes::SimpleType::builtin(crate::datatypes::Builtin::NcName)
                .validate(id, &crate::datatypes::NoNamespaces)
                .is_ok();
            if !ncname {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("id '{id}' is not a valid xs:ID (an NCName)"),
                );
            } else if !self.ids.insert((doc.id, id.to_string())) {
                self.error(
                    doc,
                    node,
                    "s4s-att-invalid-value",
                    format!("id '{id}' is used twice in this schema document"),
                );
            }
        }
        for a in node.attributes() {
            let bad = match a.namespace() {
                None => a.name() != "id" && !allowed.contains(&a.name()),
                Some(ns) => ns == XSD_NS,
            };
            if bad {
                self.error(
                    doc,
                    node,
                    "s4s-att-not-allowed",
                    format!(
                        "attribute '{}' is not allowed on xs:{}",
                        a.name(),
                        node.tag_name().name()
                    ),
                );
            }
        }
    }

    /// Children: XSD elements in the order of `slots`, no foreign elements, no text.
    fn check_content(&mut self, doc: &Doc<'_>, node: Node<'_, '_>, slots: &[Slot]) {
        let parent = node.tag_name().name();
        let mut si = 0;
        let mut count = 0;
        for c in node.children() {
            if c.is_text() {
                if c.text().is_some_and(|t| !collapse(t).is_empty()) {
                    self.error(
                        doc,
                        node,
                        "s4s-elt-character",
                        format!("text is not allowed in xs:{parent}"),
                    );
                }
                continue;
            }
            if !c.is_element() {
                continue;
            }
            let name = c.tag_name().name();
            if c.tag_name().namespace() != Some(XSD_NS) {
                self.error(
                    doc,
                    c,
                    "s4s-elt-invalid-content.1",
                    format!("element '{name}' is not allowed in xs:{parent}"),
                );
                continue;
            }
            if name == "annotation" {
                self.check_annotation(doc, c);
            }
            loop {
                let Some(slot) = slots.get(si) else {
                    self.error(
                        doc,
                        c,
                        "s4s-elt-invalid-content.1",
                        format!("xs:{name} is not allowed here in xs:{parent}"),
                    );
                    break;
                };
                if slot.names.contains(&name) && (slot.many || count == 0) {
                    count += 1;
                    break;
                }
                if slot.required && count == 0 {
                    self.error(
                        doc,
                        c,
                        "s4s-elt-must-match.1",
                        format!(
                            "xs:{parent} needs xs:{} before xs:{name}",
                            slot.names.join(" or xs:")
                        ),
                    );
                }
                si += 1;
                count = 0;
            }
        }
        for slot in slots.get(si..).unwrap_or_default() {
            if slot.required && count == 0 {
                self.error(
                    doc,
                    node,
                    "s4s-elt-must-match.1",
                    format!("xs:{parent} needs xs:{}", slot.names.join(" or xs:")),
                );
            }
            count = 0;
        }
    }

    fn check_annotation(&mut self, doc: &Doc<'_>, node: Node<'_, '_>) {
        self.check_attributes(doc, node, &[]);
        for c in node.children() {
            if c.is_text() {
                if c.text().is_some_and(|t| !collapse(t).is_empty()) {
                    self.error(
                        doc,
                        node,
                        "s4s-elt-character",
                        "text is not allowed in xs:annotation".to_owned(),
                    );
                }
                continue;
            }
            if !c.is_element() {
                continue;
            }
            let name = c.tag_name().name();
            if c.tag_name().namespace() != Some(XSD_NS)
                || !matches!(name, "appinfo" | "documentation")
            {
                self.error(
                    doc,
                    c,
                    "s4s-elt-invalid-content.1",
                    format!("'{name}' is not allowed in xs:annotation"),
                );
                continue;
            }
            for a in c.attributes() {
                if a.namespace().is_none() && a.name() == "source" {
                    // The schema for schemas types `source` as xs:anyURI.
                    let uri =
                        crate::datatypes::SimpleType::builtin(crate::datatypes::Builtin::AnyUri)
                            .validate(a.value(), &crate::datatypes::NoNamespaces);
                    if uri.is_err() {
                        self.error(
                            doc,
                            c,
                            "s4s-att-invalid-value",
                            format!("source '{}' is not a valid xs:anyURI", a.value()),
                        );
                    }
                    continue;
                }
                if a.namespace().is_none() || a.namespace() == Some(XSD_NS) {
                    self.error(
                        doc,
                        c,
                        "s4s-att-not-allowed",
                        format!("attribute '{}' is not allowed on xs:{name}", a.name()),
                    );
                }
            }
        }
    }
}

/// Context while building particles.
struct Ctx<'a> {
    /// Inside the redefinition of this group: a reference to the name means the original.
    redefining_group: Option<(&'a QName, GroupId)>,
    /// How many such self-references were found.
    self_references: std::cell::Cell<u32>,
}

fn parse_count(v: &str) -> Option<u64> {
    let digits = v.strip_prefix('+').unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<u64>().unwrap_or(u64::MAX))
}

fn placeholder_element(name: QName, location: Location) -> ElementDecl {
    ElementDecl {
        name,
        global: true,
        type_def: TypeRef::AnyType,
        nillable: false,
        is_abstract: false,
        value_constraint: None,
        namespaces: NamespaceScopeId(0),
        substitution_group: None,
        block: DerivationSet::EMPTY,
        final_set: DerivationSet::EMPTY,
        identity_constraints: Vec::new(),
        location,
    }
}

fn placeholder_simple(name: Option<QName>, location: Location) -> TypeDef {
    TypeDef::Simple(SimpleTypeDef {
        name,
        final_set: DerivationSet::EMPTY,
        variety: SimpleVariety::Restriction {
            base: TypeRef::Builtin(Builtin::AnySimpleType),
            facets: Vec::new(),
        },
        location,
    })
}

fn placeholder_complex(name: Option<QName>, location: Location) -> TypeDef {
    TypeDef::Complex(ComplexTypeDef {
        name,
        base: TypeRef::AnyType,
        derivation: Derivation::Restriction,
        is_abstract: false,
        mixed: false,
        block: DerivationSet::EMPTY,
        final_set: DerivationSet::EMPTY,
        content: ComplexContent::Complex { particle: None },
        attribute_uses: Vec::new(),
        attribute_wildcards: Vec::new(),
        attribute_groups: Vec::new(),
        location,
    })
}
