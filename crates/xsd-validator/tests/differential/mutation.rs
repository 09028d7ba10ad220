//! Mutations of a valid generated document, done on its text with the byte ranges of
//! [`Outline`]: cut, copy and swap elements, rewrite values and tags. Every kind except
//! [`Kind::Malformed`] keeps the document well-formed (checked by a unit test below).

use super::outline::{Element, Outline, ValueKind};
use super::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The generated document itself.
    Original,
    Drop,
    Duplicate,
    /// Two adjacent siblings with different names swapped.
    Reorder,
    /// A string value made long (maxLength).
    Overlong,
    /// A string value with a character its pattern may not allow.
    Pattern,
    /// A number out of range or in an unusual lexical form.
    Range,
    /// A code value not in (or differently cased from) the list.
    Enumeration,
    /// Impossible or edge-case dates and times (2023-02-30, 24:00:00).
    Date,
    /// A wrong listVersionID on a code.
    ListVersion,
    /// A changed fixed value (listURI, fixed elements).
    Fixed,
    /// An element moved into another (or no) namespace.
    Namespace,
    UnknownAttribute,
    /// Character data in element-only content.
    StrayText,
    /// Whitespace around a simple value (whiteSpace facet).
    Whitespace,
    /// Not well-formed.
    Malformed,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Original,
        Kind::Drop,
        Kind::Duplicate,
        Kind::Reorder,
        Kind::Overlong,
        Kind::Pattern,
        Kind::Range,
        Kind::Enumeration,
        Kind::Date,
        Kind::ListVersion,
        Kind::Fixed,
        Kind::Namespace,
        Kind::UnknownAttribute,
        Kind::StrayText,
        Kind::Whitespace,
        Kind::Malformed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Original => "original",
            Kind::Drop => "drop",
            Kind::Duplicate => "duplicate",
            Kind::Reorder => "reorder",
            Kind::Overlong => "overlong",
            Kind::Pattern => "pattern",
            Kind::Range => "range",
            Kind::Enumeration => "enumeration",
            Kind::Date => "date",
            Kind::ListVersion => "list-version",
            Kind::Fixed => "fixed",
            Kind::Namespace => "namespace",
            Kind::UnknownAttribute => "unknown-attribute",
            Kind::StrayText => "stray-text",
            Kind::Whitespace => "whitespace",
            Kind::Malformed => "malformed",
        }
    }
}

/// A mutated document and what was done (for reports and repros).
#[derive(Debug, Clone)]
pub struct Mutant {
    pub text: String,
    pub note: String,
}

/// A namespace no schema of the corpus declares; its prefix is unlikely in generated documents.
const WRONG_NS: &str = "urn:x-differential:wrong";
const WRONG_PREFIX: &str = "dxw";

/// Applies `kind` at a place chosen by `rng`; `None` when the document has no place for it.
pub fn mutate(doc: &str, outline: &Outline, kind: Kind, rng: &mut Rng) -> Option<Mutant> {
    let els = &outline.elements;
    let indices: Vec<usize> = (0..els.len()).collect();
    let non_root: Vec<usize> = (1..els.len()).collect();
    let leaves = |want: &dyn Fn(&Element) -> bool| -> Vec<usize> {
        indices
            .iter()
            .copied()
            .filter(|&i| {
                els.get(i)
                    .is_some_and(|e| e.text_range().is_some() && e.fixed.is_none() && want(e))
            })
            .collect()
    };
    let mutant = match kind {
        Kind::Original => Some((doc.to_owned(), "unchanged".to_owned())),
        Kind::Drop => {
            let e = els.get(*rng.pick(&non_root)?)?;
            Some((
                splice(doc, e.start, e.end, ""),
                format!("drop {}", path(outline, e)),
            ))
        }
        Kind::Duplicate => {
            let e = els.get(*rng.pick(&non_root)?)?;
            let copy = doc.get(e.start..e.end)?;
            Some((
                splice(doc, e.end, e.end, copy),
                format!("duplicate {}", path(outline, e)),
            ))
        }
        Kind::Reorder => {
            let pairs: Vec<(usize, usize)> = els
                .iter()
                .flat_map(|e| e.children.windows(2))
                .filter_map(|w| match w {
                    [a, b] => Some((*a, *b)),
                    _ => None,
                })
                .filter(|(a, b)| {
                    matches!((els.get(*a), els.get(*b)), (Some(x), Some(y)) if x.qname != y.qname)
                })
                .collect();
            let &(a, b) = rng.pick(&pairs)?;
            let (x, y) = (els.get(a)?, els.get(b)?);
            let text = format!(
                "{}{}{}{}{}",
                doc.get(..x.start)?,
                doc.get(y.start..y.end)?,
                doc.get(x.end..y.start)?,
                doc.get(x.start..x.end)?,
                doc.get(y.end..)?
            );
            Some((
                text,
                format!("swap {} with next sibling {}", path(outline, x), y.qname),
            ))
        }
        Kind::Overlong => {
            let e = els.get(*rng.pick(&leaves(&|e| e.value == Some(ValueKind::Text)))?)?;
            let len = *rng.pick(&[36usize, 81, 101, 256, 257, 1001, 4097])?;
            let (s, t) = e.text_range()?;
            let original = doc.get(s..t)?;
            // Whole copies of the raw text (never a cut reference), padded with letters.
            let mut value = String::new();
            let step = original.chars().count();
            let mut count = 0;
            while step > 0 && count + step <= len {
                value.push_str(original);
                count += step;
            }
            value.extend(std::iter::repeat_n('a', len - count));
            Some((
                splice(doc, s, t, &value),
                format!("{} chars in {}", len, path(outline, e)),
            ))
        }
        Kind::Pattern => {
            let e = els.get(*rng.pick(&leaves(&|e| e.value == Some(ValueKind::Text)))?)?;
            let (s, t) = e.text_range()?;
            let insert = *rng.pick(&[
                "\u{1F600}",
                "\u{2603}",
                "#",
                "\u{7F}",
                "\u{A0}",
                "\u{301}",
                "\u{4E2D}",
                "\u{FFFD}",
                "\t",
                "&#x10FFFF;",
                "\u{1E9E}",
                "\u{17F}",
            ])?;
            let at = if rng.index(2) == 0 { s } else { t };
            Some((
                splice(doc, at, at, insert),
                format!("insert {insert:?} in {}", path(outline, e)),
            ))
        }
        Kind::Range => {
            let e = els.get(*rng.pick(&leaves(&|e| {
                matches!(e.value, Some(ValueKind::Integer | ValueKind::Decimal))
            }))?)?;
            let value = *rng.pick(&[
                "-1",
                "0",
                "-0",
                "+5",
                "99999999999999999999999",
                "2147483648",
                "-2147483649",
                "1.5",
                "1.",
                ".5",
                "1e3",
                "NaN",
                "INF",
                "0012",
                "1.000",
                "12345678901.123456789",
            ])?;
            replace_text(doc, outline, e, value)
        }
        Kind::Enumeration => {
            let codes = leaves(&|e| e.value == Some(ValueKind::Text) && e.local == "code");
            let pool = if codes.is_empty() {
                leaves(&|e| e.value == Some(ValueKind::Text))
            } else {
                codes
            };
            let e = els.get(*rng.pick(&pool)?)?;
            let (s, t) = e.text_range()?;
            let original = doc.get(s..t)?;
            let value = match rng.index(5) {
                0 => "ZZZ".to_owned(),
                1 => original.to_lowercase(),
                2 => original.to_uppercase(),
                3 => format!("{original}0"),
                _ => String::new(),
            };
            if value == original {
                return None;
            }
            replace_text(doc, outline, e, &value)
        }
        Kind::Date => {
            let e = els.get(*rng.pick(&leaves(&|e| {
                matches!(
                    e.value,
                    Some(ValueKind::Date | ValueKind::DateTime | ValueKind::Time | ValueKind::Year)
                )
            }))?)?;
            let dates = [
                "2023-02-30",
                "2023-02-29",
                "2024-02-29",
                "2023-04-31",
                "2023-13-01",
                "2023-00-10",
                "2023-1-01",
                "0000-01-01",
                "-0001-01-01",
                "2023-02-28Z",
                "2023-02-28+14:00",
                "2023-02-28+14:01",
                "99999-01-01",
            ];
            let times = [
                "10:00:00",
                "24:00:00",
                "25:00:00",
                "23:59:60",
                "10:00:00.5Z",
                "10:00",
                "24:00:01",
                "10:00:00-14:00",
            ];
            let value = match e.value {
                Some(ValueKind::Date) => (*rng.pick(&dates)?).to_owned(),
                Some(ValueKind::Time) => (*rng.pick(&times)?).to_owned(),
                Some(ValueKind::DateTime) => {
                    let d = rng.pick(&dates)?.trim_end_matches('Z');
                    format!("{}T{}", d.get(..10).unwrap_or(d), rng.pick(&times)?)
                }
                _ => (*rng.pick(&[
                    "0000", "2023", "-0001", "20231", "02023", "2023-13", "2023-02",
                ])?)
                .to_owned(),
            };
            replace_text(doc, outline, e, &value)
        }
        Kind::ListVersion => {
            let spots = attribute_spots(doc, outline, |name| name == "listVersionID");
            let &(i, (s, t)) = rng.pick(&spots)?;
            let original = doc.get(s..t)?;
            let value = match rng.index(6) {
                0 => "0.0".to_owned(),
                1 => String::new(),
                2 => "99".to_owned(),
                3 => format!("{original} "),
                4 => format!("{original}.0"),
                _ => format!(" {original}"),
            };
            Some((
                splice(doc, s, t, &value),
                format!(
                    "listVersionID=\"{value}\" on {}",
                    path(outline, els.get(i)?)
                ),
            ))
        }
        Kind::Fixed => {
            let spots = attribute_spots(doc, outline, |name| name == "listURI");
            let fixed: Vec<usize> = indices
                .iter()
                .copied()
                .filter(|&i| {
                    els.get(i)
                        .is_some_and(|e| e.fixed.is_some() && e.text_range().is_some())
                })
                .collect();
            if !fixed.is_empty() && (spots.is_empty() || rng.index(2) == 0) {
                let e = els.get(*rng.pick(&fixed)?)?;
                let f = e.fixed.as_deref().unwrap_or("");
                let value = match rng.index(3) {
                    0 => format!("{f}X"),
                    1 => format!(" {f} "),
                    _ => String::new(),
                };
                replace_text(doc, outline, e, &value)
            } else {
                let &(i, (s, t)) = rng.pick(&spots)?;
                let original = doc.get(s..t)?;
                let value = match rng.index(3) {
                    0 => WRONG_NS.to_owned(),
                    1 => format!("{original}/"),
                    _ => format!(" {original} "),
                };
                Some((
                    splice(doc, s, t, &value),
                    format!("listURI=\"{value}\" on {}", path(outline, els.get(i)?)),
                ))
            }
        }
        Kind::Namespace => {
            let e = els.get(*rng.pick(&indices)?)?;
            let prefixed = e.qname.contains(':');
            let (name, declaration) = if prefixed && rng.index(2) == 0 {
                (e.local.clone(), " xmlns=\"\"".to_owned())
            } else {
                (
                    format!("{WRONG_PREFIX}:{}", e.local),
                    format!(" xmlns:{WRONG_PREFIX}=\"{WRONG_NS}\""),
                )
            };
            Some((
                rename(doc, e, &name, &declaration)?,
                format!("{} -> {name}{declaration}", path(outline, e)),
            ))
        }
        Kind::UnknownAttribute => {
            let e = els.get(*rng.pick(&indices)?)?;
            let tag = doc.get(e.start..e.start_tag_end)?;
            let attribute = match rng.index(4) {
                0 => "differentialAttr=\"1\"".to_owned(),
                1 => format!("xmlns:{WRONG_PREFIX}=\"{WRONG_NS}\" {WRONG_PREFIX}:attr=\"1\""),
                2 if !tag.contains("xml:lang") => "xml:lang=\"de\"".to_owned(),
                _ if !tag.contains(":nil=") && !tag.contains("xmlns:dxi") => {
                    "xmlns:dxi=\"http://www.w3.org/2001/XMLSchema-instance\" dxi:nil=\"true\""
                        .to_owned()
                }
                _ => "differentialAttr=\"\"".to_owned(),
            };
            let at = e.start_tag_end - if e.empty_tag { 2 } else { 1 };
            Some((
                splice(doc, at, at, &format!(" {attribute}")),
                format!("{attribute} on {}", path(outline, e)),
            ))
        }
        Kind::StrayText => {
            let parents: Vec<usize> = indices
                .iter()
                .copied()
                .filter(|&i| {
                    els.get(i)
                        .is_some_and(|e| e.element_only && !e.children.is_empty())
                })
                .collect();
            let e = els.get(*rng.pick(&parents)?)?;
            // Before the first child, between two children, or before the end tag.
            let mut gaps = vec![e.start_tag_end];
            gaps.extend(e.children.iter().filter_map(|&c| els.get(c).map(|c| c.end)));
            let at = *rng.pick(&gaps)?;
            let text = *rng.pick(&[
                "stray",
                "&#160;",
                "&#32;",
                "&#x9;",
                "<![CDATA[ ]]>",
                "<![CDATA[x]]>",
                "&amp;",
                "\u{A0}",
            ])?;
            Some((
                splice(doc, at, at, text),
                format!("{text:?} in {}", path(outline, e)),
            ))
        }
        Kind::Whitespace => {
            let e = els.get(*rng.pick(&leaves(&|e| e.value.is_some()))?)?;
            let (s, t) = e.text_range()?;
            let original = doc.get(s..t)?;
            let value = match rng.index(5) {
                0 => format!(" {original}"),
                1 => format!("{original} "),
                2 => format!("\n  {original}\n"),
                3 => format!("{original}&#9;"),
                _ => format!("  {original}  {original}"),
            };
            Some((
                splice(doc, s, t, &value),
                format!("{value:?} in {}", path(outline, e)),
            ))
        }
        Kind::Malformed => {
            let e = els.get(*rng.pick(&indices)?)?;
            match rng.index(5) {
                0 if !e.empty_tag => Some((
                    splice(doc, e.end_tag_start, e.end, ""),
                    format!("no end tag for {}", path(outline, e)),
                )),
                1 => Some((
                    rename(doc, e, &format!("undeclared:{}", e.local), "")?,
                    format!("undeclared prefix on {}", path(outline, e)),
                )),
                2 if e.text_range().is_some() => {
                    let (s, _) = e.text_range()?;
                    Some((
                        splice(doc, s, s, "a & b"),
                        format!("raw & in {}", path(outline, e)),
                    ))
                }
                3 => {
                    let at = e.start_tag_end - if e.empty_tag { 2 } else { 1 };
                    Some((
                        splice(doc, at, at, " d=\"1\" d=\"2\""),
                        format!("duplicate attribute on {}", path(outline, e)),
                    ))
                }
                _ => {
                    let root = els.first()?;
                    let copy = doc.get(root.start..root.end)?;
                    Some((
                        splice(doc, root.end, root.end, copy),
                        "second root element".to_owned(),
                    ))
                }
            }
        }
    }?;
    let changed = mutant.0 != doc;
    (changed || kind == Kind::Original).then_some(Mutant {
        text: mutant.0,
        note: mutant.1,
    })
}

fn splice(doc: &str, start: usize, end: usize, insert: &str) -> String {
    let mut out = String::with_capacity(doc.len() + insert.len());
    out.push_str(doc.get(..start).unwrap_or(""));
    out.push_str(insert);
    out.push_str(doc.get(end..).unwrap_or(""));
    out
}

fn replace_text(
    doc: &str,
    outline: &Outline,
    e: &Element,
    value: &str,
) -> Option<(String, String)> {
    let (s, t) = e.text_range()?;
    Some((
        splice(doc, s, t, value),
        format!("{value:?} in {}", path(outline, e)),
    ))
}

/// Renames an element's start and end tag; `declaration` is added to the start tag.
fn rename(doc: &str, e: &Element, name: &str, declaration: &str) -> Option<String> {
    let old = e.qname.len();
    let mut out = String::with_capacity(doc.len() + 64);
    out.push_str(doc.get(..e.start + 1)?);
    out.push_str(name);
    out.push_str(declaration);
    if e.empty_tag {
        out.push_str(doc.get(e.start + 1 + old..)?);
        return Some(out);
    }
    out.push_str(doc.get(e.start + 1 + old..e.end_tag_start + 2)?);
    out.push_str(name);
    out.push_str(doc.get(e.end_tag_start + 2 + old..)?);
    Some(out)
}

/// (element, value range) of every attribute whose name (as written) passes `wanted`.
fn attribute_spots(
    doc: &str,
    outline: &Outline,
    wanted: impl Fn(&str) -> bool,
) -> Vec<(usize, (usize, usize))> {
    let mut spots = Vec::new();
    for (i, e) in outline.elements.iter().enumerate() {
        let Some(tag) = doc.get(e.start..e.start_tag_end) else {
            continue;
        };
        let mut rest = tag;
        let mut base = e.start;
        // Attributes as the generator writes them: ` name="value"`.
        while let Some(eq) = rest.find("=\"") {
            let name_start = rest
                .get(..eq)
                .and_then(|h| h.rfind(' '))
                .map_or(0, |p| p + 1);
            let name = rest.get(name_start..eq).unwrap_or("");
            let value_start = eq + 2;
            let Some(len) = rest.get(value_start..).and_then(|r| r.find('"')) else {
                break;
            };
            if wanted(name) {
                spots.push((i, (base + value_start, base + value_start + len)));
            }
            let consumed = value_start + len + 1;
            base += consumed;
            rest = rest.get(consumed..).unwrap_or("");
        }
    }
    spots
}

/// `/a/b/c` with names as written, for notes.
fn path(outline: &Outline, e: &Element) -> String {
    let mut names = vec![e.qname.as_str()];
    let mut parent = e.parent;
    while let Some(p) = parent.and_then(|p| outline.get(p)) {
        names.push(&p.qname);
        parent = p.parent;
    }
    names.reverse();
    format!("/{}", names.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use xsd_validator::reader::{Event, Limits, Reader};
    use xsd_validator::SchemaSet;

    fn well_formed(text: &str) -> bool {
        let mut reader = Reader::from_slice(text.as_bytes(), Limits::default());
        loop {
            match reader.next_event() {
                Ok(Event::Eof) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }

    /// Every kind, many seeds: deterministic per id, and well-formed unless meant not to be.
    #[test]
    fn mutants_are_deterministic_and_keep_well_formedness() {
        let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/differential/repro/findings.xsd");
        let set = SchemaSet::compile(&[schema], None).unwrap();
        let doc = "<r><e><x>1</x><x/></e><d>2015-01-14</d><b>true</b><u listVersionID=\"1\">5</u>\
                   <s>code</s><w><x>t</x></w></r>";
        let outline = Outline::build(doc.as_bytes(), &set).unwrap();
        assert_eq!(outline.get(4).map(|e| e.value), Some(Some(ValueKind::Date)));
        assert_eq!(
            outline.get(5).and_then(|e| e.fixed.clone()),
            Some("true".into())
        );
        assert!(outline.get(1).is_some_and(|e| e.element_only));
        for kind in Kind::ALL {
            let mut made = 0;
            for n in 0..40 {
                let id = format!("t/{}-{n}", kind.name());
                let a = mutate(doc, &outline, kind, &mut Rng::for_case(&id));
                let b = mutate(doc, &outline, kind, &mut Rng::for_case(&id));
                assert_eq!(a.as_ref().map(|m| &m.text), b.as_ref().map(|m| &m.text));
                let Some(m) = a else { continue };
                made += 1;
                assert_eq!(
                    well_formed(&m.text),
                    kind != Kind::Malformed,
                    "{kind:?} {}: {}",
                    m.note,
                    m.text
                );
            }
            // range and enumeration need an integer leaf / string leaf; this doc has both.
            assert!(made > 0, "{kind:?} found no place");
        }
    }
}
