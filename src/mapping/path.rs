//! The XPath subset of mapping files: parsing into a [`Path`] of element steps and a terminal.
//!
//! Grammar (relative to a context element; `..` and other axes are not supported):
//! ```text
//! path      := '.' | ['/' | './' | './/' | '//'] step (('/' | '//') step)* ['/' terminal]
//!            | terminal
//! step      := nametest predicate*
//! nametest  := '*' | prefix ':' '*' | [prefix ':'] local
//! predicate := '[' integer ']' | '[' '@' qname ']' | '[' '@' qname ('=' | '!=') literal ']'
//! terminal  := 'text()' | '@' qname
//! ```
//! Prefixes are resolved through the mapping file's `[namespaces]`; an unprefixed name is in no
//! namespace (as in XPath 1.0), which is what XÖV's unqualified child elements need.

use std::collections::BTreeMap;
use std::fmt;

use super::evaluation::Attributes;

/// An expanded name: namespace URI (None = no namespace) and local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExpandedName {
    pub namespace: Option<String>,
    pub local: String,
}

impl ExpandedName {
    pub fn matches(&self, namespace: Option<&str>, local: &str) -> bool {
        self.local == local && self.namespace.as_deref() == namespace
    }
}

impl fmt::Display for ExpandedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{{{ns}}}{}", self.local),
            None => f.write_str(&self.local),
        }
    }
}

/// Which elements a step accepts by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameTest {
    Any,
    AnyInNamespace(Option<String>),
    Name(ExpandedName),
}

impl NameTest {
    pub fn matches(&self, namespace: Option<&str>, local: &str) -> bool {
        match self {
            NameTest::Any => true,
            NameTest::AnyInNamespace(ns) => ns.as_deref() == namespace,
            NameTest::Name(name) => name.matches(namespace, local),
        }
    }
}

/// How a step relates to the element before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Child,
    /// Any depth below (`//`).
    Descendant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    /// `[n]`, 1-based, counted per parent among siblings passing the step's earlier tests.
    Position(u32),
    AttributeExists(ExpandedName),
    AttributeEquals(ExpandedName, String),
    AttributeNotEquals(ExpandedName, String),
}

impl Predicate {
    /// Attribute predicates; positions are counted by the evaluator.
    pub fn accepts(&self, attributes: &dyn Attributes) -> bool {
        let find = |name: &ExpandedName| attributes.value(name.namespace.as_deref(), &name.local);
        match self {
            Predicate::Position(_) => true,
            Predicate::AttributeExists(name) => find(name).is_some(),
            Predicate::AttributeEquals(name, value) => find(name) == Some(value.as_str()),
            // XPath: `@a != 'x'` is false when `@a` is absent.
            Predicate::AttributeNotEquals(name, value) => {
                find(name).is_some_and(|v| v != value.as_str())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub axis: Axis,
    pub test: NameTest,
    pub predicates: Vec<Predicate>,
}

impl Step {
    /// The position predicate, if any; attribute predicates before it filter what is counted.
    pub fn position(&self) -> Option<u32> {
        self.predicates.iter().find_map(|p| match p {
            Predicate::Position(n) => Some(*n),
            _ => None,
        })
    }
}

/// What a path yields from the element its last step selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    /// The string value: all descendant text.
    StringValue,
    /// `text()`: the element's own text children only.
    Text,
    /// `@name`.
    Attribute(ExpandedName),
}

/// A compiled path. `absolute` paths start at the document root (their first step must be
/// the source's root element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub absolute: bool,
    pub steps: Vec<Step>,
    pub terminal: Terminal,
    /// The text as written, for messages.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path {path:?}: {problem}")]
pub struct PathError {
    pub path: String,
    pub problem: String,
}

/// Prefix bindings used to resolve names in paths.
pub type Namespaces = BTreeMap<String, String>;

pub fn parse(text: &str, namespaces: &Namespaces) -> Result<Path, PathError> {
    let mut parser = PathParser {
        input: text,
        pos: 0,
        namespaces,
    };
    parser.path().map_err(|problem| PathError {
        path: text.to_owned(),
        problem,
    })
}

struct PathParser<'a> {
    input: &'a str,
    pos: usize,
    namespaces: &'a Namespaces,
}

impl PathParser<'_> {
    fn rest(&self) -> &str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn path(&mut self) -> Result<Path, String> {
        let text = self.input.trim();
        if text.is_empty() {
            return Err("empty path".into());
        }
        self.input = text;
        if text == "." {
            return Ok(Path {
                absolute: false,
                steps: Vec::new(),
                terminal: Terminal::StringValue,
                source: text.to_owned(),
            });
        }
        let mut absolute = false;
        let mut axis = Axis::Child;
        if self.eat(".//") {
            axis = Axis::Descendant;
        } else if self.eat("./") {
        } else if self.eat("//") {
            // `//a` reads as "any `a` below the context": at the top level the context is the
            // root element, inside a group the item (streaming cannot look outside the item).
            axis = Axis::Descendant;
        } else if self.eat("/") {
            absolute = true;
        }
        let mut steps = Vec::new();
        let terminal = loop {
            if self.eat("text()") {
                break Terminal::Text;
            }
            if self.eat("@") {
                let name = self.qname(true)?;
                break Terminal::Attribute(name);
            }
            steps.push(self.step(axis)?);
            if self.pos == self.input.len() {
                break Terminal::StringValue;
            }
            if self.eat("//") {
                axis = Axis::Descendant;
            } else if self.eat("/") {
                axis = Axis::Child;
            } else {
                return Err(format!(
                    "unexpected {:?} at offset {}",
                    self.rest().chars().next().unwrap_or(' '),
                    self.pos
                ));
            }
        };
        if self.pos != self.input.len() {
            return Err(format!("unexpected {:?} after the final step", self.rest()));
        }
        if axis == Axis::Descendant
            && !matches!(terminal, Terminal::StringValue)
            && steps.is_empty()
        {
            return Err("`//` must be followed by an element step".into());
        }
        if absolute && steps.is_empty() {
            return Err("an absolute path needs at least the root element step".into());
        }
        Ok(Path {
            absolute,
            steps,
            terminal,
            source: self.input.to_owned(),
        })
    }

    fn step(&mut self, axis: Axis) -> Result<Step, String> {
        let test = if self.eat("*") {
            NameTest::Any
        } else {
            let prefix_or_local = self.ncname()?;
            if self.eat(":") {
                let ns = self.resolve(&prefix_or_local)?;
                if self.eat("*") {
                    NameTest::AnyInNamespace(Some(ns))
                } else {
                    NameTest::Name(ExpandedName {
                        namespace: Some(ns),
                        local: self.ncname()?,
                    })
                }
            } else {
                NameTest::Name(ExpandedName {
                    namespace: None,
                    local: prefix_or_local,
                })
            }
        };
        let mut predicates = Vec::new();
        while self.eat("[") {
            predicates.push(self.predicate()?);
            if !self.eat("]") {
                return Err("predicate not closed with `]`".into());
            }
        }
        if predicates
            .iter()
            .filter(|p| matches!(p, Predicate::Position(_)))
            .count()
            > 1
        {
            return Err("at most one position predicate per step".into());
        }
        if let Some(i) = predicates
            .iter()
            .position(|p| matches!(p, Predicate::Position(_)))
        {
            // Counting happens after every attribute test, so a later attribute test would
            // change XPath's meaning (`a[1][@x]` is "the first a, if it has @x").
            if i + 1 != predicates.len() {
                return Err("a position predicate must be the last predicate of its step".into());
            }
        }
        Ok(Step {
            axis,
            test,
            predicates,
        })
    }

    fn predicate(&mut self) -> Result<Predicate, String> {
        self.skip_space();
        if self.eat("@") {
            let name = self.qname(true)?;
            self.skip_space();
            let negate = if self.eat("!=") {
                true
            } else if self.eat("=") {
                false
            } else {
                return Ok(Predicate::AttributeExists(name));
            };
            self.skip_space();
            let value = self.literal()?;
            self.skip_space();
            return Ok(if negate {
                Predicate::AttributeNotEquals(name, value)
            } else {
                Predicate::AttributeEquals(name, value)
            });
        }
        let digits: String = self
            .rest()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if digits.is_empty() {
            return Err("a predicate is `[n]`, `[@attr]` or `[@attr='value']`".into());
        }
        self.pos += digits.len();
        self.skip_space();
        match digits.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Predicate::Position(n)),
            _ => Err(format!("position {digits} is not a positive integer")),
        }
    }

    fn literal(&mut self) -> Result<String, String> {
        let quote = match self.rest().chars().next() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err("expected a quoted literal".into()),
        };
        self.pos += 1;
        let rest = self.rest();
        let end = rest
            .find(quote)
            .ok_or_else(|| "unterminated literal".to_owned())?;
        let value = rest.get(..end).unwrap_or("").to_owned();
        self.pos += end + 1;
        Ok(value)
    }

    fn skip_space(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.pos += n;
    }

    /// An attribute name: unprefixed attributes are in no namespace (never the default one).
    fn qname(&mut self, _attribute: bool) -> Result<ExpandedName, String> {
        let first = self.ncname()?;
        if self.eat(":") {
            let ns = self.resolve(&first)?;
            Ok(ExpandedName {
                namespace: Some(ns),
                local: self.ncname()?,
            })
        } else {
            Ok(ExpandedName {
                namespace: None,
                local: first,
            })
        }
    }

    fn resolve(&self, prefix: &str) -> Result<String, String> {
        self.namespaces
            .get(prefix)
            .cloned()
            .ok_or_else(|| format!("prefix {prefix:?} is not declared in [namespaces]"))
    }

    fn ncname(&mut self) -> Result<String, String> {
        let rest = self.rest();
        let mut end = 0;
        for (i, c) in rest.char_indices() {
            let ok = if i == 0 {
                c.is_alphabetic() || c == '_'
            } else {
                c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
            };
            if !ok {
                break;
            }
            end = i + c.len_utf8();
        }
        if end == 0 {
            return Err(format!("expected a name at offset {}", self.pos));
        }
        let name = rest.get(..end).unwrap_or("").to_owned();
        self.pos += end;
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns() -> Namespaces {
        let mut n = Namespaces::new();
        n.insert("x".into(), "urn:x".into());
        n
    }

    fn name(ns: Option<&str>, local: &str) -> NameTest {
        NameTest::Name(ExpandedName {
            namespace: ns.map(str::to_owned),
            local: local.into(),
        })
    }

    #[test]
    fn child_steps_with_prefixes_and_unqualified_names() {
        let p = parse("x:Kopf/x:Nachrichtentyp/code", &ns()).expect("parse");
        assert!(!p.absolute);
        assert_eq!(p.terminal, Terminal::StringValue);
        assert_eq!(p.steps.len(), 3);
        assert_eq!(p.steps[0].test, name(Some("urn:x"), "Kopf"));
        assert_eq!(p.steps[2].test, name(None, "code"));
        assert!(p.steps.iter().all(|s| s.axis == Axis::Child));
    }

    #[test]
    fn descendant_steps_and_dotted_names() {
        let p = parse(".//a.b-c//d", &ns()).expect("parse");
        assert_eq!(p.steps[0].axis, Axis::Descendant);
        assert_eq!(p.steps[0].test, name(None, "a.b-c"));
        assert_eq!(p.steps[1].axis, Axis::Descendant);
        let q = parse("//a", &ns()).expect("parse");
        assert_eq!(q.steps[0].axis, Axis::Descendant);
        assert!(!q.absolute);
        let r = parse("/x:root/a", &ns()).expect("parse");
        assert!(r.absolute);
    }

    #[test]
    fn predicates_terminals_and_self() {
        let p = parse("x:Staat[@listVersionID='1'][2]/@listURI", &ns()).expect("parse");
        assert_eq!(
            p.steps[0].predicates,
            vec![
                Predicate::AttributeEquals(
                    ExpandedName {
                        namespace: None,
                        local: "listVersionID".into()
                    },
                    "1".into()
                ),
                Predicate::Position(2)
            ]
        );
        assert_eq!(p.steps[0].position(), Some(2));
        assert!(matches!(p.terminal, Terminal::Attribute(ref n) if n.local == "listURI"));
        let t = parse("a/text()", &ns()).expect("parse");
        assert_eq!(t.terminal, Terminal::Text);
        let own = parse("@id", &ns()).expect("parse");
        assert!(own.steps.is_empty());
        let dot = parse(".", &ns()).expect("parse");
        assert!(dot.steps.is_empty());
        assert_eq!(dot.terminal, Terminal::StringValue);
        let any = parse("x:*/*[@a != \"b\"]", &ns()).expect("parse");
        assert_eq!(
            any.steps[0].test,
            NameTest::AnyInNamespace(Some("urn:x".into()))
        );
        assert_eq!(any.steps[1].test, NameTest::Any);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        for (text, needle) in [
            ("", "empty"),
            ("y:a", "prefix \"y\""),
            ("a[0]", "positive"),
            ("a[1][@b]", "last predicate"),
            ("a[@b='c'", "not closed"),
            ("a/@b/c", "after the final step"),
            ("a[@b=c]", "quoted literal"),
            ("a//", "expected a name"),
            ("a/../b", "expected a name"),
            ("/", "expected a name"),
            ("a[foo]", "a predicate is"),
        ] {
            let error = parse(text, &ns()).expect_err(text);
            assert!(
                error.problem.contains(needle),
                "{text:?}: {error} lacks {needle:?}"
            );
        }
    }

    #[test]
    fn attribute_predicates_accept() {
        let attrs = [(None, "v", "1"), (Some("urn:x"), "q", "z")];
        let exp = |ns: Option<&str>, l: &str| ExpandedName {
            namespace: ns.map(str::to_owned),
            local: l.into(),
        };
        assert!(Predicate::AttributeEquals(exp(None, "v"), "1".into()).accepts(&attrs));
        assert!(!Predicate::AttributeEquals(exp(None, "v"), "2".into()).accepts(&attrs));
        assert!(Predicate::AttributeNotEquals(exp(None, "v"), "2".into()).accepts(&attrs));
        assert!(!Predicate::AttributeNotEquals(exp(None, "w"), "2".into()).accepts(&attrs));
        assert!(Predicate::AttributeExists(exp(Some("urn:x"), "q")).accepts(&attrs));
        assert!(!Predicate::AttributeExists(exp(None, "q")).accepts(&attrs));
    }
}
