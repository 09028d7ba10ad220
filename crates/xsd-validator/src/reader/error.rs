//! The one error type of the reader: what went wrong, where, and in which element.

use std::fmt;

/// A place in the document: 1-based line and 1-based column counted in characters.
///
/// Line breaks are LF, CR LF and a lone CR (as XML normalizes them). A byte order mark is not
/// counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Default for Position {
    fn default() -> Self {
        Position { line: 1, column: 1 }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// What made the document unacceptable. Well-formedness (`xml-wf`), namespace (`xml-ns`) and
/// resource limit (`xml-limit`) problems; see [`XmlError::rule`] for stable ids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlErrorKind {
    #[error("{0}")]
    Syntax(String),
    #[error(
        "the document is not valid UTF-8 (malformed byte sequence); expected UTF-8 encoded text"
    )]
    InvalidUtf8,
    #[error("{} is not a legal XML 1.0 character", code_point_name(*.0))]
    IllegalCharacter(u32),
    #[error("end tag </{found}> does not match the open element; expected </{expected}>")]
    MismatchedEndTag { expected: String, found: String },
    #[error("end tag </{0}> has no matching start tag")]
    UnmatchedEndTag(String),
    #[error("the document ended inside an element; expected the end tags of the open elements")]
    UnclosedElements,
    #[error("attribute '{0}' appears more than once in this start tag")]
    DuplicateAttribute(String),
    /// `expanded` is written `{namespace}local`.
    #[error("attribute '{second}' has the same expanded name {expanded} as attribute '{first}'")]
    DuplicateExpandedName {
        expanded: String,
        first: String,
        second: String,
    },
    #[error("namespace prefix '{0}' is not declared; expected an xmlns:{0}=\"...\" declaration on this element or an ancestor")]
    UndeclaredPrefix(String),
    #[error("DOCTYPE declarations are not allowed (no DTD processing); remove the <!DOCTYPE ...> declaration")]
    DoctypeNotAllowed,
    #[error("entity '&{0};' is not defined; only &lt; &gt; &amp; &apos; &quot; and character references are allowed")]
    UnknownEntity(String),
    #[error("a second root element starts here; a document has exactly one root element")]
    MultipleRoots,
    #[error("the document has no root element; expected a start tag")]
    NoRoot,
    #[error("character data outside the root element; only whitespace, comments and processing instructions may appear there")]
    TextOutsideRoot,
    #[error("elements are nested deeper than the limit of {limit} levels")]
    DepthLimitExceeded { limit: usize },
    #[error("the element has more than the limit of {limit} attributes")]
    AttributeLimitExceeded { limit: usize },
    #[error("text or attribute value longer than the limit of {limit} bytes")]
    TextLimitExceeded { limit: usize },
    #[error("the document is larger than the limit of {limit} bytes")]
    SizeLimitExceeded { limit: usize },
    #[error("name longer than the limit of {limit} bytes")]
    NameTooLong { limit: usize },
    /// Only from a stream, which holds one token at a time: a tag, comment, CDATA section or
    /// processing instruction longer than its limits allow (see `EventStream`).
    #[error("markup (a tag, comment, CDATA section or processing instruction) longer than the limit of {limit} bytes")]
    TokenLimitExceeded { limit: usize },
    #[error("'{0}' is not a valid XML name")]
    InvalidName(String),
    #[error("'{0}' is not a valid qualified name; expected NCName or prefix:NCName (Namespaces in XML 1.0)")]
    InvalidQName(String),
    #[error("invalid XML declaration: {0}")]
    InvalidXmlDeclaration(String),
    #[error("encoding '{0}' is not supported; expected a UTF-8 document")]
    UnsupportedEncoding(String),
    #[error("prefix '{prefix}': {reason}")]
    ReservedPrefix {
        prefix: String,
        reason: &'static str,
    },
    #[error("prefix '{0}' cannot be bound to an empty namespace name (only the default namespace can be undeclared with xmlns=\"\")")]
    EmptyPrefixBinding(String),
}

fn code_point_name(cp: u32) -> String {
    format!("U+{cp:04X}")
}

impl XmlErrorKind {
    /// Stable id of the violated rule, for problem lists and metrics labels.
    pub fn rule(&self) -> &'static str {
        match self {
            XmlErrorKind::Syntax(_) => "xml-wf.syntax",
            XmlErrorKind::InvalidUtf8 => "xml-wf.invalid-utf8",
            XmlErrorKind::IllegalCharacter(_) => "xml-wf.illegal-character",
            XmlErrorKind::MismatchedEndTag { .. } => "xml-wf.mismatched-end-tag",
            XmlErrorKind::UnmatchedEndTag(_) => "xml-wf.unmatched-end-tag",
            XmlErrorKind::UnclosedElements => "xml-wf.unclosed-elements",
            XmlErrorKind::DuplicateAttribute(_) => "xml-wf.duplicate-attribute",
            XmlErrorKind::DuplicateExpandedName { .. } => "xml-ns.duplicate-attribute",
            XmlErrorKind::UndeclaredPrefix(_) => "xml-ns.undeclared-prefix",
            XmlErrorKind::DoctypeNotAllowed => "xml-wf.doctype-not-allowed",
            XmlErrorKind::UnknownEntity(_) => "xml-wf.unknown-entity",
            XmlErrorKind::MultipleRoots => "xml-wf.multiple-roots",
            XmlErrorKind::NoRoot => "xml-wf.no-root",
            XmlErrorKind::TextOutsideRoot => "xml-wf.text-outside-root",
            XmlErrorKind::DepthLimitExceeded { .. } => "xml-limit.depth",
            XmlErrorKind::AttributeLimitExceeded { .. } => "xml-limit.attributes",
            XmlErrorKind::TextLimitExceeded { .. } => "xml-limit.text",
            XmlErrorKind::SizeLimitExceeded { .. } => "xml-limit.size",
            XmlErrorKind::NameTooLong { .. } => "xml-limit.name",
            XmlErrorKind::TokenLimitExceeded { .. } => "xml-limit.token",
            XmlErrorKind::InvalidName(_) => "xml-wf.invalid-name",
            XmlErrorKind::InvalidQName(_) => "xml-ns.invalid-qname",
            XmlErrorKind::InvalidXmlDeclaration(_) => "xml-wf.xml-declaration",
            XmlErrorKind::UnsupportedEncoding(_) => "xml-wf.unsupported-encoding",
            XmlErrorKind::ReservedPrefix { .. } => "xml-ns.reserved-prefix",
            XmlErrorKind::EmptyPrefixBinding(_) => "xml-ns.empty-prefix-binding",
        }
    }
}

/// A document the reader refuses: the first problem found, with its place and element path
/// (`/a/b[2]/c`, empty when no element is open).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}{}: {kind}", PathSuffix(element_path))]
pub struct XmlError {
    pub kind: XmlErrorKind,
    pub position: Position,
    pub element_path: String,
}

impl XmlError {
    /// Stable id of the violated rule, like `xml-wf.mismatched-end-tag` or `xml-limit.depth`.
    pub fn rule(&self) -> &'static str {
        self.kind.rule()
    }
}

struct PathSuffix<'a>(&'a str);

impl fmt::Display for PathSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, " at {}", self.0)
        }
    }
}
