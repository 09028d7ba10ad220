//! Identity constraints in generated documents: the XPath subset of selectors and fields
//! (XSD 1.0 3.11.6), evaluated on the generated tree, so that key fields are present, key and
//! unique values are distinct, and keyref values name an existing key.

use crate::schema::{SchemaModel, XPathExpr};

use super::document::{Content, Name, Node};

/// One location step: a child element or an attribute, optionally at any depth (`.//`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) descendant: bool,
    pub(crate) attribute: bool,
    /// `None`: any namespace (`*`); `Some(None)`: no namespace.
    pub(crate) namespace: Option<Option<String>>,
    /// `None`: any local name.
    pub(crate) local: Option<String>,
}

impl Step {
    pub(crate) fn matches(&self, name: &Name) -> bool {
        self.namespace
            .as_ref()
            .is_none_or(|ns| ns.as_deref() == name.namespace.as_deref())
            && self.local.as_ref().is_none_or(|l| *l == name.local)
    }
}

pub(crate) type Path = Vec<Step>;

/// Parses a selector or field into its `|` alternatives; `None` outside the subset or with
/// an undeclared prefix.
pub(crate) fn parse(expr: &XPathExpr, model: &SchemaModel) -> Option<Vec<Path>> {
    let scope = model.namespace_scope(expr.namespaces);
    let mut alternatives = Vec::new();
    for alt in expr.text.split('|') {
        let mut rest = alt.trim();
        let mut path = Vec::new();
        let mut descendant = false;
        if let Some(r) = rest.strip_prefix(".//") {
            descendant = true;
            rest = r;
        }
        if rest == "." {
            alternatives.push(path);
            continue;
        }
        for seg in rest.split('/') {
            let seg = seg.trim();
            let seg = seg.strip_prefix("child::").unwrap_or(seg);
            if seg == "." {
                continue;
            }
            let (attribute, test) = match seg
                .strip_prefix('@')
                .or_else(|| seg.strip_prefix("attribute::"))
            {
                Some(t) => (true, t.trim()),
                None => (false, seg),
            };
            if test.is_empty() {
                return None;
            }
            let (namespace, local) = match test.split_once(':') {
                _ if test == "*" => (None, None),
                Some((p, l)) => {
                    let ns = scope?.lookup(Some(p))?;
                    let uri = model.namespaces.uri(ns).map(str::to_owned);
                    (Some(uri), (l != "*").then(|| l.to_owned()))
                }
                // Unprefixed names in XSD 1.0 XPaths have no namespace.
                None => (Some(None), Some(test.to_owned())),
            };
            path.push(Step {
                descendant: std::mem::take(&mut descendant),
                attribute,
                namespace,
                local,
            });
        }
        alternatives.push(path);
    }
    Some(alternatives)
}

/// Where a field's value is: an element's text or one of its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) node: Vec<usize>,
    pub(crate) attribute: Option<usize>,
}

/// The element nodes (as child index paths from `root`) that `path` selects.
pub(crate) fn select(root: &Node, path: &[Step]) -> Vec<Vec<usize>> {
    let mut current = vec![Vec::new()];
    for step in path {
        if step.attribute {
            return Vec::new();
        }
        let mut next = Vec::new();
        for at in &current {
            if let Some(n) = node_at(root, at) {
                collect(n, at, step, &mut next);
            }
        }
        current = next;
    }
    current
}

fn collect(n: &Node, at: &[usize], step: &Step, out: &mut Vec<Vec<usize>>) {
    for (i, c) in n.children().iter().enumerate() {
        let mut p = at.to_vec();
        p.push(i);
        if step.matches(&c.name) {
            out.push(p.clone());
        }
        if step.descendant {
            collect(c, &p, step, out);
        }
    }
}

/// The single value slot a field designates below `at`; `None` when it selects nothing or
/// more than one node.
pub(crate) fn field_slot(root: &Node, at: &[usize], field: &[Path]) -> Option<Slot> {
    let mut found = Vec::new();
    for path in field {
        let (last, elements) = match path.split_last() {
            Some((l, e)) if l.attribute => (Some(l), e),
            _ => (None, path.as_slice()),
        };
        let base = node_at(root, at)?;
        for rel in select(base, elements) {
            let mut node = at.to_vec();
            node.extend(rel);
            match last {
                None => found.push(Slot {
                    node,
                    attribute: None,
                }),
                Some(step) => {
                    let n = node_at(root, &node)?;
                    for (i, a) in n.attributes.iter().enumerate() {
                        if step.matches(&a.name) {
                            found.push(Slot {
                                node: node.clone(),
                                attribute: Some(i),
                            });
                        }
                    }
                }
            }
        }
    }
    (found.len() == 1).then(|| found.pop()).flatten()
}

pub(crate) fn node_at<'a>(root: &'a Node, path: &[usize]) -> Option<&'a Node> {
    path.iter().try_fold(root, |n, &i| n.children().get(i))
}

pub(crate) fn node_at_mut<'a>(root: &'a mut Node, path: &[usize]) -> Option<&'a mut Node> {
    path.iter()
        .try_fold(root, |n, &i| n.children_mut().get_mut(i))
}

/// The value in a slot (element text or attribute value), trimmed.
pub(crate) fn read(root: &Node, slot: &Slot) -> Option<String> {
    let n = node_at(root, &slot.node)?;
    match slot.attribute {
        Some(i) => n.attributes.get(i).map(|a| a.value.trim().to_owned()),
        None => match &n.content {
            Content::Text(t) => Some(t.trim().to_owned()),
            Content::Empty => Some(String::new()),
            _ => None,
        },
    }
}

/// Replaces the value in a slot; false when the slot holds no simple value.
pub(crate) fn write(root: &mut Node, slot: &Slot, value: String) -> bool {
    let Some(n) = node_at_mut(root, &slot.node) else {
        return false;
    };
    match slot.attribute {
        Some(i) => match n.attributes.get_mut(i) {
            Some(a) => {
                a.value = value;
                true
            }
            None => false,
        },
        None => match &mut n.content {
            Content::Text(t) => {
                *t = value;
                true
            }
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::load_from_memory;

    #[test]
    fn parses_the_subset_and_selects_nodes() {
        let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t"
            targetNamespace="urn:t"><xs:element name="r"><xs:complexType/>
            <xs:key name="k"><xs:selector xpath="t:a/t:b | .//t:c"/><xs:field xpath="@id"/></xs:key>
            </xs:element></xs:schema>"#;
        let model = match load_from_memory(&["s.xsd"], &[("s.xsd", xsd)], None) {
            Ok(m) => m,
            Err(e) => panic!("{e:?}"),
        };
        let Some(ic) = model.identity_constraints.first() else {
            panic!("no constraint loaded")
        };
        let Some(sel) = parse(&ic.selector, &model) else {
            panic!("selector not parsed")
        };
        assert_eq!(sel.len(), 2);
        assert!(sel
            .get(1)
            .and_then(|p| p.first())
            .is_some_and(|s| s.descendant));
        let name = |l: &str| Name {
            written: l.into(),
            namespace: Some("urn:t".into()),
            local: l.into(),
        };
        let leaf = |l: &str, id: &str| Node {
            name: name(l),
            attributes: vec![super::super::document::Attribute {
                name: Name {
                    written: "id".into(),
                    namespace: None,
                    local: "id".into(),
                },
                value: id.into(),
                value_type: None,
            }],
            content: Content::Empty,
            value_type: None,
        };
        let tree = Node {
            name: name("r"),
            attributes: vec![],
            content: Content::Elements(vec![Node {
                name: name("a"),
                attributes: vec![],
                content: Content::Elements(vec![leaf("b", "1"), leaf("x", "2"), leaf("c", "3")]),
                value_type: None,
            }]),
            value_type: None,
        };
        let picked: Vec<Vec<usize>> = sel.iter().flat_map(|p| select(&tree, p)).collect();
        assert_eq!(picked, vec![vec![0, 0], vec![0, 2]]);
        let Some(field) = ic.fields.first().and_then(|f| parse(f, &model)) else {
            panic!("field not parsed")
        };
        let slot = field_slot(&tree, &[0, 2], &field);
        assert_eq!(
            slot.as_ref().and_then(|s| read(&tree, s)).as_deref(),
            Some("3")
        );
    }
}
