//! The restricted XPath subset of selectors and fields (Structures §3.11.6), parsed into
//! normalised location paths.
//!
//! ```text
//! Selector ::= Path ( '|' Path )*
//! Path     ::= ('.//')? Step ( '/' Step )*
//! Field    ::= FPath ( '|' FPath )*
//! FPath    ::= ('.//')? ( Step '/' )* ( Step | '@' NameTest )
//! Step     ::= '.' | NameTest            (also written `child::` NameTest)
//! NameTest ::= QName | '*' | NCName ':' '*'
//! ```
//! `attribute::` may stand for `@`, and whitespace may surround every token. `.` steps
//! are dropped while parsing (`a/./b` is `a/b`), so a [`Path`] is a descendant flag, the
//! element name tests and an optional final attribute test. Unprefixed names are in no
//! namespace (XPath 1.0 has no default element namespace).

use std::fmt;

/// The namespace of the `xml` prefix, bound without a declaration.
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// One element or attribute name test with its prefix resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NameTest {
    /// `*`
    Any,
    /// `p:*`: any local name in this namespace.
    Namespace(Box<str>),
    /// A QName; namespace `None` for unprefixed names.
    Name {
        namespace: Option<Box<str>>,
        local: Box<str>,
    },
}

impl NameTest {
    /// Whether an element or attribute named `{namespace}local` passes this test.
    #[inline]
    pub fn matches(&self, namespace: Option<&str>, local: &str) -> bool {
        match self {
            NameTest::Any => true,
            NameTest::Namespace(ns) => namespace == Some(&**ns),
            NameTest::Name {
                namespace: ns,
                local: l,
            } => **l == *local && ns.as_deref() == namespace,
        }
    }
}

/// A location path relative to the context node.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Path {
    /// Starts with `.//`: the steps may begin at any descendant-or-self of the context.
    pub descendant: bool,
    /// Child steps, `.` steps removed.
    pub steps: Vec<NameTest>,
    /// The final `@NameTest` of a field path.
    pub attribute: Option<NameTest>,
}

/// A union of paths: a whole selector or field expression.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct XPath {
    pub paths: Vec<Path>,
}

/// Which grammar applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XPathKind {
    Selector,
    Field,
}

/// Why an expression is outside the subset. The message names the offending token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct XPathError {
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Dot,
    DotDot,
    Slash,
    DoubleSlash,
    Bar,
    At,
    Star,
    /// `p:*`
    PrefixStar(&'a str),
    /// An (optionally prefixed) name.
    Name(Option<&'a str>, &'a str),
    /// `name::`
    Axis(&'a str),
    Other(char),
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Dot => f.write_str("."),
            Token::DotDot => f.write_str(".."),
            Token::Slash => f.write_str("/"),
            Token::DoubleSlash => f.write_str("//"),
            Token::Bar => f.write_str("|"),
            Token::At => f.write_str("@"),
            Token::Star => f.write_str("*"),
            Token::PrefixStar(p) => write!(f, "{p}:*"),
            Token::Name(Some(p), l) => write!(f, "{p}:{l}"),
            Token::Name(None, l) => f.write_str(l),
            Token::Axis(a) => write!(f, "{a}::"),
            Token::Other(c) => write!(f, "{c}"),
        }
    }
}

fn err(message: String) -> XPathError {
    XPathError { message }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// XML 1.0 (5th edition) NameStartChar without ':'.
fn is_ncname_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_ncname_char(c: char) -> bool {
    is_ncname_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Splits `text` into tokens; the longest token wins (`//` over `/`, `p:*` over `p`).
fn tokenize(text: &str) -> Result<Vec<Token<'_>>, XPathError> {
    let mut tokens = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(is_space);
        let Some(c) = rest.chars().next() else {
            return Ok(tokens);
        };
        let (token, len) = match c {
            '.' if rest.starts_with("..") => (Token::DotDot, 2),
            '.' => (Token::Dot, 1),
            '/' if rest.starts_with("//") => (Token::DoubleSlash, 2),
            '/' => (Token::Slash, 1),
            '|' => (Token::Bar, 1),
            '@' => (Token::At, 1),
            '*' => (Token::Star, 1),
            c if is_ncname_start(c) => name_token(rest)?,
            c => (Token::Other(c), c.len_utf8()),
        };
        tokens.push(token);
        rest = rest.get(len..).unwrap_or("");
    }
}

/// An NCName followed by `:*`, `:NCName` or `::` (possibly after whitespace), or alone.
fn name_token(s: &str) -> Result<(Token<'_>, usize), XPathError> {
    let ncname_len = |s: &str| -> usize {
        s.char_indices()
            .find(|&(_, c)| !is_ncname_char(c))
            .map_or(s.len(), |(i, _)| i)
    };
    let first = ncname_len(s);
    let name = &s[..first];
    let after = &s[first..];
    if let Some(colon) = after.strip_prefix(':') {
        if colon.starts_with(':') {
            return Ok((Token::Axis(name), first + 2));
        }
        if colon.starts_with('*') {
            return Ok((Token::PrefixStar(name), first + 2));
        }
        if colon.chars().next().is_some_and(is_ncname_start) {
            let local_len = ncname_len(colon);
            let local = &colon[..local_len];
            return Ok((Token::Name(Some(name), local), first + 1 + local_len));
        }
        return Err(err(format!(
            "'{name}:' must be followed by a local name or '*'"
        )));
    }
    // `child ::a` is an axis too: whitespace may separate the tokens.
    let trimmed = after.trim_start_matches(is_space);
    if trimmed.starts_with("::") {
        let len = s.len() - trimmed.len() + 2;
        return Ok((Token::Axis(name), len));
    }
    Ok((Token::Name(None, name), first))
}

/// Parses `text` as a selector or field, resolving prefixes with `resolve` (a prefix to its
/// namespace name; `None` when the prefix is not declared).
pub fn parse(
    text: &str,
    kind: XPathKind,
    resolve: &dyn Fn(&str) -> Option<String>,
) -> Result<XPath, XPathError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        kind,
        resolve,
    };
    let mut paths = vec![parser.path()?];
    while parser.eat(&Token::Bar) {
        paths.push(parser.path()?);
    }
    if let Some(t) = parser.peek() {
        return Err(err(format!("unexpected '{t}'")));
    }
    Ok(XPath { paths })
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    at: usize,
    kind: XPathKind,
    resolve: &'t dyn Fn(&str) -> Option<String>,
}

impl<'t, 'a> Parser<'t, 'a> {
    fn peek(&self) -> Option<&'t Token<'a>> {
        self.tokens.get(self.at)
    }

    fn peek_at(&self, offset: usize) -> Option<&'t Token<'a>> {
        self.tokens.get(self.at + offset)
    }

    fn eat(&mut self, t: &Token<'_>) -> bool {
        if self.peek() == Some(t) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn path(&mut self) -> Result<Path, XPathError> {
        let mut path = Path {
            descendant: false,
            steps: Vec::new(),
            attribute: None,
        };
        match self.peek() {
            None | Some(Token::Bar) => return Err(err("empty path".to_owned())),
            Some(Token::Slash | Token::DoubleSlash) => {
                return Err(err(
                    "absolute paths are not allowed; start with './/' or a name".to_owned(),
                ))
            }
            Some(Token::Dot) if self.peek_at(1) == Some(&Token::DoubleSlash) => {
                path.descendant = true;
                self.at += 2;
            }
            _ => {}
        }
        loop {
            if self.step(&mut path)? {
                // An attribute step ends the path.
                return match self.peek() {
                    None | Some(Token::Bar) => Ok(path),
                    Some(t) => Err(err(format!(
                        "'{t}' after an attribute step; the attribute must be the last step"
                    ))),
                };
            }
            match self.peek() {
                None | Some(Token::Bar) => return Ok(path),
                Some(Token::Slash) => self.at += 1,
                Some(Token::DoubleSlash) => {
                    return Err(err(
                        "'//' is only allowed at the start of a path, as './/'".to_owned()
                    ))
                }
                Some(t) => return Err(err(format!("unexpected '{t}'; expected '/' or '|'"))),
            }
        }
    }

    /// One step; returns true when it was an attribute step.
    fn step(&mut self, path: &mut Path) -> Result<bool, XPathError> {
        let Some(token) = self.peek().cloned() else {
            return Err(err("the path ends with '/'; a step is missing".to_owned()));
        };
        self.at += 1;
        match token {
            Token::Dot => Ok(false),
            Token::At => self.attribute_step(path),
            Token::Axis("attribute") => self.attribute_step(path),
            Token::Axis("child") => {
                let test = self.name_test("child::")?;
                path.steps.push(test);
                Ok(false)
            }
            Token::Axis(axis) => Err(err(format!(
                "the axis '{axis}::' is not allowed; only child:: and attribute:: are"
            ))),
            Token::DotDot => Err(err("'..' (parent) is not allowed".to_owned())),
            Token::Star | Token::PrefixStar(_) | Token::Name(..) => {
                self.at -= 1;
                let test = self.name_test("a step")?;
                path.steps.push(test);
                Ok(false)
            }
            Token::Other('(' | '[') => Err(err(
                "functions and predicates are not allowed in identity-constraint XPaths".to_owned(),
            )),
            t => Err(err(format!(
                "unexpected '{t}'; expected a name, '*' or '.'"
            ))),
        }
    }

    fn attribute_step(&mut self, path: &mut Path) -> Result<bool, XPathError> {
        if self.kind == XPathKind::Selector {
            return Err(err(
                "a selector must select elements; attribute steps are not allowed".to_owned(),
            ));
        }
        path.attribute = Some(self.name_test("'@'")?);
        Ok(true)
    }

    fn name_test(&mut self, after: &str) -> Result<NameTest, XPathError> {
        let Some(token) = self.peek().cloned() else {
            return Err(err(format!("a name test must follow {after}")));
        };
        let test = match token {
            Token::Star => NameTest::Any,
            Token::PrefixStar(prefix) => NameTest::Namespace(self.namespace(prefix)?.into()),
            Token::Name(prefix, local) => NameTest::Name {
                namespace: match prefix {
                    Some(p) => Some(self.namespace(p)?.into()),
                    None => None,
                },
                local: local.into(),
            },
            t => return Err(err(format!("a name test must follow {after}, not '{t}'"))),
        };
        self.at += 1;
        Ok(test)
    }

    fn namespace(&self, prefix: &str) -> Result<String, XPathError> {
        match (self.resolve)(prefix) {
            Some(ns) if !ns.is_empty() => Ok(ns),
            _ if prefix == "xml" => Ok(XML_NAMESPACE.to_owned()),
            _ => Err(err(format!("the prefix '{prefix}' is not declared"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(prefix: &str) -> Option<String> {
        match prefix {
            "p" => Some("urn:p".to_owned()),
            "q" => Some("urn:q".to_owned()),
            _ => None,
        }
    }

    fn sel(text: &str) -> Result<XPath, XPathError> {
        parse(text, XPathKind::Selector, &resolve)
    }

    fn field(text: &str) -> Result<XPath, XPathError> {
        parse(text, XPathKind::Field, &resolve)
    }

    fn name(ns: Option<&str>, local: &str) -> NameTest {
        NameTest::Name {
            namespace: ns.map(Into::into),
            local: local.into(),
        }
    }

    #[test]
    fn selector_forms() {
        let x = sel(".//p:a/b | c/*/p:*").unwrap();
        assert_eq!(x.paths.len(), 2);
        assert!(x.paths[0].descendant);
        assert_eq!(
            x.paths[0].steps,
            vec![name(Some("urn:p"), "a"), name(None, "b")]
        );
        assert!(!x.paths[1].descendant);
        assert_eq!(
            x.paths[1].steps,
            vec![
                name(None, "c"),
                NameTest::Any,
                NameTest::Namespace("urn:p".into())
            ]
        );
        let dot = sel(".").unwrap();
        assert_eq!(dot.paths[0].steps, Vec::<NameTest>::new());
        assert!(!dot.paths[0].descendant);
        let all = sel(".//.").unwrap();
        assert!(all.paths[0].descendant && all.paths[0].steps.is_empty());
        assert_eq!(sel("./a/./b").unwrap().paths[0].steps.len(), 2);
        assert_eq!(
            sel(" child::a / child :: p:b ").unwrap().paths[0].steps,
            vec![name(None, "a"), name(Some("urn:p"), "b")]
        );
        assert_eq!(
            sel("xml:a").unwrap().paths[0].steps,
            vec![name(Some(XML_NAMESPACE), "a")]
        );
        // Whitespace between tokens, even inside './/'.
        assert!(sel(" . // a ").unwrap().paths[0].descendant);
    }

    #[test]
    fn field_forms() {
        let x = field("@id").unwrap();
        assert_eq!(x.paths[0].attribute, Some(name(None, "id")));
        let x = field("a/b/@p:id | .//@*|attribute::q:*").unwrap();
        assert_eq!(x.paths[0].steps.len(), 2);
        assert_eq!(x.paths[0].attribute, Some(name(Some("urn:p"), "id")));
        assert!(x.paths[1].descendant);
        assert_eq!(x.paths[1].attribute, Some(NameTest::Any));
        assert_eq!(
            x.paths[2].attribute,
            Some(NameTest::Namespace("urn:q".into()))
        );
        assert!(field(".").unwrap().paths[0].steps.is_empty());
        assert_eq!(field("a/.").unwrap().paths[0].steps.len(), 1);
    }

    #[test]
    fn rejections() {
        for bad in [
            "",
            " ",
            "/a",
            "//a",
            "a//b",
            "a/",
            "a|",
            "|a",
            "..",
            "a/..",
            "parent::a",
            "descendant::a",
            "a[1]",
            "text()",
            "a/@b",
            "@b",
            "child::.",
            "u:a",
            "a b",
            "a:",
            ".//",
            "a/@",
            "1a",
            "$x",
        ] {
            assert!(sel(bad).is_err(), "selector {bad:?} should be rejected");
        }
        for bad in [
            "@a/b",
            "@a/@b",
            "@",
            "a/@u:b",
            ".//",
            "@a b",
            "attribute::",
            "a//@b",
        ] {
            assert!(field(bad).is_err(), "field {bad:?} should be rejected");
        }
        let e = sel("u:a").unwrap_err();
        assert!(e.message.contains("'u'"), "{}", e.message);
        let e = sel("a//b").unwrap_err();
        assert!(e.message.contains("'//'"), "{}", e.message);
    }

    #[test]
    fn name_tests_match() {
        assert!(name(None, "a").matches(None, "a"));
        assert!(!name(None, "a").matches(Some("urn:p"), "a"));
        assert!(!name(Some("urn:p"), "a").matches(None, "a"));
        assert!(NameTest::Namespace("urn:p".into()).matches(Some("urn:p"), "zz"));
        assert!(!NameTest::Namespace("urn:p".into()).matches(None, "zz"));
        assert!(NameTest::Any.matches(None, "x"));
    }
}
