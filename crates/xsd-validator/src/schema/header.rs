//! The part of a schema document the loader needs: the root element, `targetNamespace`
//! and the `include`/`import`/`redefine` children. Read with a streaming scan that stops at
//! the first top-level component (directives must come first), so the loader does not
//! build a tree that the component builder would build again.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

use super::{UnqualifiedAttribute, XSD_NS};

/// What kind of reference a directive is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirectiveKind {
    Include,
    Import,
    Redefine,
}

/// One include/import/redefine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    pub kind: DirectiveKind,
    pub namespace: Option<String>,
    pub location: Option<String>,
    /// Byte offset of the element's `<`.
    pub offset: usize,
}

/// Root facts and directives of a schema document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// Namespace and local name of the root element.
    pub root_namespace: Option<String>,
    pub root_name: String,
    pub root_offset: usize,
    pub target_namespace: Option<String>,
    pub directives: Vec<Directive>,
}

impl Header {
    pub(crate) fn is_schema(&self) -> bool {
        self.root_namespace.as_deref() == Some(XSD_NS) && self.root_name == "schema"
    }
}

/// Reads the header, or says why the document is not well-formed (with a byte offset).
pub(crate) fn read(text: &str) -> Result<Header, (String, usize)> {
    // The streaming scan cannot expand entities declared in a DTD; such documents (rare,
    // trusted configuration) take the full parse.
    if text.contains("<!DOCTYPE") {
        return read_tree(text);
    }
    match scan(text) {
        Some(h) => Ok(h),
        None => read_tree(text),
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Streaming scan; `None` on anything unusual (the tree parse then decides and reports).
fn scan(text: &str) -> Option<Header> {
    let mut reader = NsReader::from_str(text);
    let mut header: Option<Header> = None;
    loop {
        let offset = reader.buffer_position() as usize;
        let (ns, event) = reader.read_resolved_event().ok()?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(n.as_ref().to_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(_) => return None,
        };
        let (start, empty) = match &event {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::Eof => return header,
            Event::End(_) => return header,
            _ => continue,
        };
        let local = start.local_name().as_ref().to_owned();
        let Some(h) = header.as_mut() else {
            let h = Header {
                root_namespace: ns,
                root_name: local,
                root_offset: offset,
                target_namespace: attr(&start, "targetNamespace"),
                directives: Vec::new(),
            };
            if !h.is_schema() || empty {
                return Some(h);
            }
            header = Some(h);
            continue;
        };
        if ns.as_deref() != Some(XSD_NS) {
            return None;
        }
        let kind = match local.as_str() {
            "include" => DirectiveKind::Include,
            "import" => DirectiveKind::Import,
            "redefine" => DirectiveKind::Redefine,
            "annotation" => {
                if !empty {
                    reader.read_to_end(start.name()).ok()?;
                }
                continue;
            }
            // The first component ends the directives.
            _ => return header,
        };
        h.directives.push(Directive {
            kind,
            namespace: attr(&start, "namespace"),
            location: attr(&start, "schemaLocation"),
            offset,
        });
        if !empty {
            reader.read_to_end(start.name()).ok()?;
        }
    }
}

/// Full parse: handles DTDs and reports well-formedness errors.
fn read_tree(text: &str) -> Result<Header, (String, usize)> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        let pos = e.pos();
        // Convert the row/column back to a byte offset for uniform reporting.
        let offset = text
            .split_inclusive('\n')
            .take(pos.row.saturating_sub(1) as usize)
            .map(str::len)
            .sum::<usize>()
            + text
                .split_inclusive('\n')
                .nth(pos.row.saturating_sub(1) as usize)
                .map_or(0, |line| {
                    line.char_indices()
                        .nth(pos.col.saturating_sub(1) as usize)
                        .map_or(line.len(), |(i, _)| i)
                });
        (
            format!("schema document is not well-formed XML: {e}"),
            offset,
        )
    })?;
    let root = doc.root_element();
    let mut header = Header {
        root_namespace: root.tag_name().namespace().map(str::to_owned),
        root_name: root.tag_name().name().to_owned(),
        root_offset: root.range().start,
        target_namespace: root.unqualified("targetNamespace").map(str::to_owned),
        directives: Vec::new(),
    };
    if !header.is_schema() {
        return Ok(header);
    }
    for child in root
        .children()
        .filter(|c| c.is_element() && c.tag_name().namespace() == Some(XSD_NS))
    {
        let kind = match child.tag_name().name() {
            "include" => DirectiveKind::Include,
            "import" => DirectiveKind::Import,
            "redefine" => DirectiveKind::Redefine,
            _ => continue,
        };
        header.directives.push(Directive {
            kind,
            namespace: child.unqualified("namespace").map(str::to_owned),
            location: child.unqualified("schemaLocation").map(str::to_owned),
            offset: child.range().start,
        });
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<!-- c --><s:schema xmlns:s="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a&amp;b">
  <s:annotation><s:documentation><s:include schemaLocation="not-this.xsd"/></s:documentation></s:annotation>
  <s:include schemaLocation="a.xsd"/>
  <s:import namespace="urn:b"
            schemaLocation="b.xsd"><s:annotation/></s:import>
  <s:redefine schemaLocation="c.xsd"><s:complexType name="T"/></s:redefine>
  <s:element name="e"/>
  <s:include schemaLocation="late.xsd"/>
</s:schema>"#;

    #[test]
    fn scan_and_tree_agree() {
        let scanned = scan(DOC);
        let tree = read_tree(DOC).ok();
        assert!(scanned.is_some());
        let Some(h) = scanned.clone() else { return };
        assert!(h.is_schema());
        assert_eq!(h.target_namespace.as_deref(), Some("urn:a&b"));
        let locations: Vec<_> = h
            .directives
            .iter()
            .map(|d| d.location.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(locations, ["a.xsd", "b.xsd", "c.xsd"]);
        assert_eq!(h.directives[1].namespace.as_deref(), Some("urn:b"));
        assert_eq!(
            DOC.get(h.directives[0].offset..h.directives[0].offset + 11),
            Some("<s:include ")
        );
        // The tree also sees directives after the first component (a schema-for-schemas
        // error reported by the builder); the scan stops there.
        let Some(mut t) = tree else {
            panic!("tree parse failed")
        };
        assert_eq!(
            t.directives.pop().and_then(|d| d.location).as_deref(),
            Some("late.xsd")
        );
        assert_eq!(Some(t), scanned);
    }

    #[test]
    fn malformed_and_foreign_roots() {
        let err =
            read("<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>\n<a></b></xs:schema>")
                .err();
        assert!(err.is_some_and(|(m, off)| m.contains("well-formed") && off > 0));
        let h = read("<schema/>").ok();
        assert!(h.is_some_and(|h| !h.is_schema() && h.root_name == "schema"));
    }
}
