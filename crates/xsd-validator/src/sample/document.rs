//! The generated document as a small tree, the namespace prefixes it uses, and its
//! serialization (indented where whitespace cannot matter).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::datatypes::NamespaceContext;
use crate::schema::SchemaModel;

use super::simple_value::SimpleInfo;

pub(crate) const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// An expanded name with the prefixed form written for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Name {
    pub(crate) written: String,
    pub(crate) namespace: Option<String>,
    pub(crate) local: String,
}

/// An element: its name, attributes and content, plus the simple type of its text (when it
/// may be regenerated: identity constraints need distinct or matching values).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) name: Name,
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) content: Content,
    pub(crate) value_type: Option<Arc<SimpleInfo>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Attribute {
    pub(crate) name: Name,
    pub(crate) value: String,
    /// `None` for fixed values and xsi:type, which must not change.
    pub(crate) value_type: Option<Arc<SimpleInfo>>,
}

#[derive(Debug, Clone)]
pub(crate) enum Content {
    Empty,
    Text(String),
    Elements(Vec<Node>),
    /// Mixed content: text before the children (whitespace here would be character data).
    Mixed {
        text: String,
        children: Vec<Node>,
    },
}

impl Node {
    /// The child elements.
    pub(crate) fn children(&self) -> &[Node] {
        match &self.content {
            Content::Elements(c) | Content::Mixed { children: c, .. } => c,
            _ => &[],
        }
    }

    pub(crate) fn children_mut(&mut self) -> &mut [Node] {
        match &mut self.content {
            Content::Elements(c) | Content::Mixed { children: c, .. } => c,
            _ => &mut [],
        }
    }

    /// Every attribute value and text of the tree, for fix-ups after generation.
    pub(crate) fn for_each_value(&mut self, f: &mut dyn FnMut(&mut String)) {
        for a in &mut self.attributes {
            f(&mut a.value);
        }
        match &mut self.content {
            Content::Empty => {}
            Content::Text(t) => f(t),
            Content::Elements(children) => children.iter_mut().for_each(|c| c.for_each_value(f)),
            Content::Mixed { text, children } => {
                f(text);
                children.iter_mut().for_each(|c| c.for_each_value(f));
            }
        }
    }
}

/// Namespace prefixes of the document: the schema's own prefix for a namespace where it has
/// a usable one, else `ns1`, `ns2`, ... All are declared on the root element; there is never
/// a default namespace, so unprefixed names are unqualified.
#[derive(Debug)]
pub(crate) struct Prefixes {
    preferred: HashMap<String, String>,
    by_uri: HashMap<String, String>,
    taken: HashSet<String>,
    /// (prefix, uri) in order of first use.
    declared: Vec<(String, String)>,
}

fn usable_prefix(p: &str) -> bool {
    let mut chars = p.chars();
    let starts_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    starts_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !p.to_ascii_lowercase().starts_with("xml")
}

impl Prefixes {
    pub(crate) fn new(model: &SchemaModel) -> Prefixes {
        let mut preferred: HashMap<String, String> = HashMap::new();
        for scope in &model.namespace_scopes {
            for (prefix, ns) in &scope.bindings {
                let (Some(prefix), Some(uri)) = (prefix, model.namespaces.uri(*ns)) else {
                    continue;
                };
                if usable_prefix(prefix) && prefix.as_ref() != "xsi" {
                    preferred
                        .entry(uri.to_owned())
                        .or_insert_with(|| prefix.to_string());
                }
            }
        }
        let mut taken = HashSet::new();
        taken.insert("xml".to_owned());
        Prefixes {
            preferred,
            by_uri: HashMap::new(),
            taken,
            declared: Vec::new(),
        }
    }

    /// The prefix bound to `uri`, binding one on first use.
    pub(crate) fn prefix_for(&mut self, uri: &str) -> String {
        if uri == XML_NS {
            return "xml".to_owned();
        }
        if let Some(p) = self.by_uri.get(uri) {
            return p.clone();
        }
        let wanted = if uri == XSI_NS {
            Some("xsi".to_owned())
        } else {
            self.preferred.get(uri).cloned()
        };
        let prefix = match wanted.filter(|p| !self.taken.contains(p)) {
            Some(p) => p,
            None => {
                let mut n = 1;
                loop {
                    let p = format!("ns{n}");
                    if !self.taken.contains(&p) {
                        break p;
                    }
                    n += 1;
                }
            }
        };
        self.taken.insert(prefix.clone());
        self.by_uri.insert(uri.to_owned(), prefix.clone());
        self.declared.push((prefix.clone(), uri.to_owned()));
        prefix
    }

    /// `prefix:local`, or `local` for the absent namespace.
    pub(crate) fn qualify(&mut self, uri: Option<&str>, local: &str) -> String {
        match uri {
            Some(u) => format!("{}:{local}", self.prefix_for(u)),
            None => local.to_owned(),
        }
    }

    /// The name `{uri}local` with its prefix.
    pub(crate) fn name(&mut self, uri: Option<&str>, local: &str) -> Name {
        Name {
            written: self.qualify(uri, local),
            namespace: uri.map(str::to_owned),
            local: local.to_owned(),
        }
    }
}

impl NamespaceContext for Prefixes {
    fn resolve(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.declared
            .iter()
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.as_str())
    }
}

/// The document text: XML declaration, the root with every namespace declaration, and
/// two-space indentation of element-only content.
pub(crate) fn serialize(root: &Node, prefixes: &Prefixes) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let declarations: Vec<(String, String)> = prefixes
        .declared
        .iter()
        .map(|(p, u)| (format!("xmlns:{p}"), u.clone()))
        .collect();
    write_node(root, &declarations, Some(0), &mut out);
    out.push('\n');
    out
}

/// `indent`: the nesting level, or `None` inside mixed content (no added whitespace).
fn write_node(node: &Node, extra: &[(String, String)], indent: Option<usize>, out: &mut String) {
    out.push('<');
    out.push_str(&node.name.written);
    let own = node.attributes.iter().map(|a| (&a.name.written, &a.value));
    for (name, value) in extra.iter().map(|(n, v)| (n, v)).chain(own) {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape(value, true, out);
        out.push('"');
    }
    let child_indent = indent.map(|i| i + 1);
    match &node.content {
        Content::Empty => {
            out.push_str("/>");
            return;
        }
        Content::Text(t) => {
            out.push('>');
            escape(t, false, out);
        }
        Content::Elements(children) if children.is_empty() => {
            out.push_str("/>");
            return;
        }
        Content::Elements(children) => {
            out.push('>');
            for c in children {
                newline(child_indent, out);
                write_node(c, &[], child_indent, out);
            }
            newline(indent, out);
        }
        Content::Mixed { text, children } => {
            out.push('>');
            escape(text, false, out);
            for c in children {
                write_node(c, &[], None, out);
            }
        }
    }
    out.push_str("</");
    out.push_str(&node.name.written);
    out.push('>');
}

fn newline(indent: Option<usize>, out: &mut String) {
    if let Some(i) = indent {
        out.push('\n');
        for _ in 0..i {
            out.push_str("  ");
        }
    }
}

/// Escapes markup characters, and whitespace that a parser would otherwise normalise
/// (attribute values) or drop (CR in text).
fn escape(s: &str, attribute: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_declarations_indentation_and_escapes() {
        let mut p = Prefixes::new(&SchemaModel::default());
        let a = p.name(Some("urn:a"), "root");
        let b = p.name(Some("urn:b"), "child");
        let xsi = p.name(Some(XSI_NS), "type");
        assert_eq!(p.qualify(Some(XML_NS), "lang"), "xml:lang");
        let node = |name: Name, content| Node {
            name,
            attributes: vec![],
            content,
            value_type: None,
        };
        let attr = |name: Name, value: &str| Attribute {
            name,
            value: value.into(),
            value_type: None,
        };
        let mut root = node(
            a,
            Content::Elements(vec![
                node(b.clone(), Content::Text("x < y\r".into())),
                node(
                    b,
                    Content::Mixed {
                        text: "t".into(),
                        children: vec![node(p.name(None, "e"), Content::Empty)],
                    },
                ),
            ]),
        );
        root.attributes = vec![attr(xsi, "ns1:T"), attr(p.name(None, "q"), "a\"<&\t")];
        let text = serialize(&root, &p);
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ns1:root xmlns:ns1=\"urn:a\" xmlns:ns2=\"urn:b\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
             xsi:type=\"ns1:T\" q=\"a&quot;&lt;&amp;&#9;\">\n  \
             <ns2:child>x &lt; y&#13;</ns2:child>\n  \
             <ns2:child>t<e/></ns2:child>\n</ns1:root>\n"
        );
        assert_eq!(p.resolve("ns2"), Some("urn:b"));
        assert_eq!(p.resolve("zz"), None);
        assert!(roxmltree::Document::parse(&text).is_ok());
    }

    #[test]
    fn reserved_and_odd_prefixes_are_not_reused() {
        assert!(usable_prefix("xbau"));
        assert!(!usable_prefix("xmlfoo"));
        assert!(!usable_prefix("1a"));
        assert!(!usable_prefix(""));
    }
}
