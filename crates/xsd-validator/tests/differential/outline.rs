//! The element structure of a generated document: each element's byte ranges (found with the
//! crate's reader) plus what the schema says about it (collected through a validation [`Sink`]).
//! Mutations cut, copy and rewrite these ranges.

use xsd_validator::reader::{Event, Limits, Reader};
use xsd_validator::schema::{SchemaModel, ValueConstraint};
use xsd_validator::validate::{ElementEvent, Sink};
use xsd_validator::{SchemaSet, ValidationOptions};

use xsd_validator::datatypes::{Builtin, Variety};

/// What kind of literal an element's simple content holds, by its built-in ancestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Integer,
    Decimal,
    Date,
    DateTime,
    Time,
    Year,
    Boolean,
    Other,
}

#[derive(Debug, Clone)]
pub struct Element {
    /// The name as written (`prefix:local`).
    pub qname: String,
    pub local: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Offset of `<` of the start tag.
    pub start: usize,
    /// Offset just after the start tag's `>`.
    pub start_tag_end: usize,
    /// Offset of `</`, or `start_tag_end` for `<a/>`.
    pub end_tag_start: usize,
    /// Offset just after the element.
    pub end: usize,
    pub empty_tag: bool,
    /// Filled from the schema (None when the validator saw no declaration or simple type).
    pub value: Option<ValueKind>,
    /// The fixed value of the governing element declaration.
    pub fixed: Option<String>,
    /// Complex type with element-only (or empty) content: character data is not allowed.
    pub element_only: bool,
}

impl Element {
    /// Raw text content of a leaf (no child elements).
    pub fn text_range(&self) -> Option<(usize, usize)> {
        (self.children.is_empty() && !self.empty_tag)
            .then_some((self.start_tag_end, self.end_tag_start))
    }
}

#[derive(Debug, Clone)]
pub struct Outline {
    /// In document order; index 0 is the root.
    pub elements: Vec<Element>,
}

impl Outline {
    /// Reads `doc` (which must be well-formed and is meant to be valid against `set`).
    pub fn build(doc: &[u8], set: &SchemaSet) -> Result<Outline, String> {
        let mut elements = structure(doc)?;
        let mut collector = Collector {
            model: set.model(),
            seen: Vec::new(),
        };
        let outcome = set.validate_with_sink(doc, &ValidationOptions::default(), &mut collector);
        if !outcome.well_formed {
            return Err("the generated document is not well-formed".into());
        }
        // Sink events are a subsequence of the reader's (nothing below skipped wildcards).
        let mut next = 0;
        for seen in collector.seen {
            while let Some(e) = elements.get(next) {
                if e.local == seen.local && depth(&elements, next) == seen.depth {
                    break;
                }
                next += 1;
            }
            let Some(e) = elements.get_mut(next) else {
                return Err(format!(
                    "validator event {} not in the document",
                    seen.local
                ));
            };
            e.value = seen.value;
            e.fixed = seen.fixed;
            e.element_only = seen.element_only;
            next += 1;
        }
        Ok(Outline { elements })
    }

    pub fn get(&self, i: usize) -> Option<&Element> {
        self.elements.get(i)
    }
}

fn depth(elements: &[Element], mut i: usize) -> usize {
    let mut d = 1;
    while let Some(p) = elements.get(i).and_then(|e| e.parent) {
        d += 1;
        i = p;
    }
    d
}

/// Elements and their byte ranges, from the reader's events.
fn structure(doc: &[u8]) -> Result<Vec<Element>, String> {
    let mut reader = Reader::from_slice(doc, Limits::default());
    let mut elements: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    loop {
        reader.advance_event().map_err(|e| e.to_string())?;
        let offset = reader.byte_offset();
        match reader.current_event() {
            Event::Start(tag) => {
                if doc.get(offset) != Some(&b'<') {
                    return Err(format!("start tag offset {offset} is not at '<'"));
                }
                let start_tag_end = tag_end(doc, offset)?;
                let index = elements.len();
                let parent = open.last().copied();
                if let Some(p) = parent.and_then(|p| elements.get_mut(p)) {
                    p.children.push(index);
                }
                elements.push(Element {
                    qname: tag.name().to_string(),
                    local: tag.name().local.to_owned(),
                    parent,
                    children: Vec::new(),
                    start: offset,
                    start_tag_end,
                    end_tag_start: start_tag_end,
                    end: start_tag_end,
                    empty_tag: tag.is_empty_element(),
                    value: None,
                    fixed: None,
                    element_only: false,
                });
                open.push(index);
            }
            Event::End(_) => {
                let index = open.pop().ok_or("end tag without start")?;
                let e = elements.get_mut(index).ok_or("lost element")?;
                if !e.empty_tag {
                    if doc.get(offset..offset + 2) != Some(b"</") {
                        return Err(format!("end tag offset {offset} is not at '</'"));
                    }
                    e.end_tag_start = offset;
                    e.end = tag_end(doc, offset)?;
                }
            }
            Event::Text(_) => {}
            Event::Eof => break,
        }
    }
    Ok(elements)
}

/// The offset after the `>` closing the tag that starts at `from`, skipping quoted values.
fn tag_end(doc: &[u8], from: usize) -> Result<usize, String> {
    let mut quote = None;
    for (i, &b) in doc.iter().enumerate().skip(from) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return Ok(i + 1),
            _ => {}
        }
    }
    Err(format!("unterminated tag at {from}"))
}

struct Seen {
    local: String,
    depth: usize,
    value: Option<ValueKind>,
    fixed: Option<String>,
    element_only: bool,
}

struct Collector<'m> {
    model: &'m SchemaModel,
    seen: Vec<Seen>,
}

impl Sink for Collector<'_> {
    fn start_element(&mut self, element: &ElementEvent<'_>) {
        let typ = element.type_definition();
        let simple = typ.and_then(|t| t.simple_type());
        let value = simple.map(|s| {
            if s.variety() != Variety::Atomic {
                return ValueKind::Other;
            }
            value_kind(s.builtin_ancestor())
        });
        let fixed = element
            .declaration()
            .and_then(|d| self.model.element_decl(d.id()))
            .and_then(|d| match &d.value_constraint {
                Some(ValueConstraint::Fixed(v)) => Some(v.clone()),
                _ => None,
            });
        self.seen.push(Seen {
            local: element.name().local.to_owned(),
            depth: element.depth(),
            value,
            fixed,
            element_only: typ.is_some_and(|t| simple.is_none() && !t.is_simple() && !t.is_mixed()),
        });
    }

    fn wants_values(&self) -> bool {
        false
    }
}

fn value_kind(b: Builtin) -> ValueKind {
    use Builtin as B;
    if b.is_derived_from(B::Integer) {
        return ValueKind::Integer;
    }
    match b.primitive() {
        B::String => ValueKind::Text,
        B::Decimal | B::Float | B::Double => ValueKind::Decimal,
        B::Date => ValueKind::Date,
        B::DateTime => ValueKind::DateTime,
        B::Time => ValueKind::Time,
        B::GYear | B::GYearMonth => ValueKind::Year,
        B::Boolean => ValueKind::Boolean,
        _ => ValueKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_tags_and_text() {
        let doc = br#"<?xml version="1.0"?>
<r a="x>y"><b>t&amp;u</b><c/><d><e>1</e></d></r>"#;
        let els = structure(doc).unwrap();
        let text = |s: usize, e: usize| std::str::from_utf8(&doc[s..e]).unwrap();
        assert_eq!(els.len(), 5);
        assert_eq!(text(els[0].start, els[0].start_tag_end), r#"<r a="x>y">"#);
        assert_eq!(text(els[1].start, els[1].end), "<b>t&amp;u</b>");
        let (s, e) = els[1].text_range().unwrap();
        assert_eq!(text(s, e), "t&amp;u");
        assert_eq!(text(els[2].start, els[2].end), "<c/>");
        assert!(els[2].text_range().is_none());
        assert_eq!(els[3].children, vec![4]);
        assert_eq!(els[4].parent, Some(3));
        assert_eq!(depth(&els, 4), 3);
        assert_eq!(text(els[0].end_tag_start, els[0].end), "</r>");
    }
}
