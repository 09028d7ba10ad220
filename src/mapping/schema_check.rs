//! Checking a plan against the source schema: a path that can never match, or a function
//! given a type it cannot take, is a problem `check` reports.
//!
//! **API Boundary:** the schema engine implements [`SchemaPaths`] over its element
//! declarations; this module knows nothing else about schemas.

use std::collections::{HashMap, HashSet, VecDeque};

use super::expression::Expr;
use super::path::{Axis, ExpandedName, Terminal};
use super::plan::{CompileProblem, FieldContent, Plan, Target, ValueType};

/// An element declaration (or a local element particle) as the schema engine numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SchemaNode(pub u32);

/// What an element's text can be, from its (simple) type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentKind {
    String,
    Decimal,
    Integer,
    Boolean,
    Date,
    DateTime,
    Time,
    /// Element-only or empty content: no text of its own.
    ElementOnly,
    /// Mixed content or a simple type this check does not classify.
    Other,
}

/// The child elements an element may have.
#[derive(Debug, Clone, Default)]
pub struct Children {
    pub named: Vec<(ExpandedName, SchemaNode)>,
    /// An element wildcard (`xs:any`): any name may appear, so nothing below is conclusive.
    pub wildcard: bool,
}

/// What the mapper needs to know about the source schema.
pub trait SchemaPaths {
    /// The global element declaration for a document root.
    fn root(&self, name: &ExpandedName) -> Option<SchemaNode>;
    fn children(&self, node: SchemaNode) -> Children;
    /// Whether `node` may carry the attribute (true when it has an attribute wildcard).
    fn has_attribute(&self, node: SchemaNode, name: &ExpandedName) -> bool;
    fn content(&self, node: SchemaNode) -> ContentKind;
}

/// Where a path can land: known declarations, or unknown past a wildcard.
#[derive(Debug, Clone)]
enum Reach {
    Nodes(Vec<SchemaNode>),
    Unknown,
}

impl Plan {
    /// Every path and function of this plan checked against `schema`; empty when all fit.
    pub fn check_against(&self, schema: &dyn SchemaPaths) -> Vec<CompileProblem> {
        let mut problems = Vec::new();
        let Some(root) = schema.root(&self.root) else {
            problems.push(CompileProblem {
                field: "[source]".into(),
                message: format!("the schema declares no root element {}", self.root),
            });
            return problems;
        };
        let mut contexts: HashMap<usize, Reach> = HashMap::new();
        contexts.insert(0, Reach::Nodes(vec![root]));
        for (scope_id, scope) in self.scopes.iter().enumerate() {
            let context = contexts.get(&scope_id).cloned().unwrap_or(Reach::Unknown);
            for &selector_id in &scope.selectors {
                let Some(selector) = self.selectors.get(selector_id) else {
                    continue;
                };
                let field = self.fields.get(selector.field);
                let location = field.map_or("", |f| f.location.as_str());
                let reach = walk(schema, &context, selector, location, &mut problems);
                match selector.target {
                    Target::Item { scope, .. } => {
                        contexts.insert(scope, reach);
                    }
                    Target::Slot(slot) => {
                        let Reach::Nodes(nodes) = reach else {
                            continue;
                        };
                        if selector.path.terminal != Terminal::StringValue
                            && selector.path.terminal != Terminal::Text
                        {
                            continue;
                        }
                        let kinds: Vec<ContentKind> =
                            nodes.iter().map(|n| schema.content(*n)).collect();
                        if let Some(field) = field {
                            check_kinds(
                                field_uses(field, slot),
                                &kinds,
                                location,
                                &selector.path.source,
                                &mut problems,
                            );
                        }
                    }
                }
            }
        }
        problems
    }
}

/// What a slot's value is used for: functions that read it, and the field type when the
/// field is the bare path.
fn field_uses(field: &super::plan::FieldSpec, slot: usize) -> Vec<&'static str> {
    let mut uses = Vec::new();
    if let FieldContent::Value(expr) = &field.content {
        expr.visit_paths(&mut |s, function| {
            if s == slot {
                if let Some(function) = function {
                    uses.push(function);
                }
            }
        });
        if matches!(expr, Expr::Path(s) if *s == slot) {
            match field.value_type {
                ValueType::Number => uses.push("type = number"),
                ValueType::Integer => uses.push("type = integer"),
                ValueType::Boolean => uses.push("type = boolean"),
                ValueType::Date => uses.push("type = date"),
                ValueType::DateTime => uses.push("type = datetime"),
                ValueType::String => {}
            }
        }
    }
    uses
}

fn check_kinds(
    uses: Vec<&'static str>,
    kinds: &[ContentKind],
    location: &str,
    path: &str,
    problems: &mut Vec<CompileProblem>,
) {
    use ContentKind as K;
    for usage in uses {
        let accepts = |kind: K| match usage {
            "format-date" => matches!(kind, K::Date | K::DateTime | K::Time | K::Other),
            "format-number" | "type = number" => {
                matches!(kind, K::Decimal | K::Integer | K::Other)
            }
            "type = integer" => matches!(kind, K::Integer | K::Other),
            "type = boolean" => matches!(kind, K::Boolean | K::Other),
            "type = date" => matches!(kind, K::Date | K::Other),
            "type = datetime" => matches!(kind, K::DateTime | K::Other),
            _ => true,
        };
        if let Some(kind) = kinds.iter().find(|k| !accepts(**k)) {
            problems.push(CompileProblem {
                field: location.to_owned(),
                message: format!("{usage} cannot take {path:?}, whose schema type is {kind:?}"),
            });
        }
    }
}

fn walk(
    schema: &dyn SchemaPaths,
    context: &Reach,
    selector: &super::plan::Selector,
    location: &str,
    problems: &mut Vec<CompileProblem>,
) -> Reach {
    let Reach::Nodes(start) = context else {
        return Reach::Unknown;
    };
    let mut current: Vec<SchemaNode> = start.clone();
    for (i, step) in selector.path.steps.iter().enumerate() {
        let candidates = match step.axis {
            Axis::Child => {
                let mut out = Vec::new();
                for node in &current {
                    let children = schema.children(*node);
                    if children.wildcard {
                        return Reach::Unknown;
                    }
                    out.extend(children.named);
                }
                out
            }
            Axis::Descendant => match descendants(schema, &current) {
                Some(all) => all,
                None => return Reach::Unknown,
            },
        };
        let mut next: Vec<SchemaNode> = candidates
            .into_iter()
            .filter(|(name, _)| step.test.matches(name.namespace.as_deref(), &name.local))
            .map(|(_, node)| node)
            .collect();
        next.sort_by_key(|n| n.0);
        next.dedup();
        if next.is_empty() {
            problems.push(CompileProblem {
                field: location.to_owned(),
                message: format!(
                    "path {:?} can never match the schema: step {} finds no element",
                    selector.path.source,
                    i + 1
                ),
            });
            return Reach::Unknown;
        }
        current = next;
    }
    if let Terminal::Attribute(name) = &selector.path.terminal {
        if !current.iter().any(|n| schema.has_attribute(*n, name)) {
            problems.push(CompileProblem {
                field: location.to_owned(),
                message: format!(
                    "path {:?} can never match the schema: no attribute {name} there",
                    selector.path.source
                ),
            });
        }
    }
    Reach::Nodes(current)
}

/// All (name, node) pairs below `start`; None past a wildcard.
fn descendants(
    schema: &dyn SchemaPaths,
    start: &[SchemaNode],
) -> Option<Vec<(ExpandedName, SchemaNode)>> {
    let mut seen: HashSet<SchemaNode> = HashSet::new();
    let mut queue: VecDeque<SchemaNode> = start.iter().copied().collect();
    let mut out = Vec::new();
    while let Some(node) = queue.pop_front() {
        let children = schema.children(node);
        if children.wildcard {
            return None;
        }
        for (name, child) in children.named {
            out.push((name, child));
            // Recursive content models (a Vorgang in a Vorgang) end here.
            if seen.insert(child) {
                queue.push_back(child);
            }
        }
    }
    Some(out)
}
