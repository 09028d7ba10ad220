//! The W3C XML Schema test suite (suite.xml -> testSet -> testGroup -> tests) as a flat index of
//! the cases that apply to XSD 1.0.
//!
//! Applicability, as documented in shared/docs/w3c-suite.md and reproduced by its counts:
//! - `version` is inherited: the nearest of test, testGroup, testSet that carries the attribute
//!   decides; the test is XSD 1.1 only when every token of that value is `1.1`.
//! - Of several `expected` elements, the one whose `version` lists `1.0` wins over an unversioned
//!   one; versioned `expected` elements for other tokens (Unicode_*, *-xpath-in-CTA) never apply.
//! - Tests whose 1.0 expectation is `indeterminate` or missing are tallied, not run.
//! - `current/@status` is filtered by [`StatusFilter`]; the documented counts are those of
//!   [`StatusFilter::Any`] (see `index_counts` in tests/w3c_suite.rs for the reasoning).

use std::path::{Component, Path, PathBuf};

const TS_NS: &str = "http://www.w3.org/XML/2004/xml-schema-test-suite/";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not well-formed XML: {source}")]
    Parse {
        path: PathBuf,
        source: roxmltree::Error,
    },
    #[error("{path}: {message}")]
    Malformed { path: PathBuf, message: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Schema,
    Instance,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Instance => "instance",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    Invalid,
}

/// What a test expects of an XSD 1.0 processor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expectation {
    Known(Validity),
    Indeterminate,
    /// Only `expected` elements for other versions or features (e.g. Unicode_4.0.0).
    Unspecified,
}

/// Which `current/@status` values are admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// Every status (accepted, stable, queried, submitted, disputed-*) or none.
    Any,
    /// `accepted` or no `current` element at all.
    AcceptedOrAbsent,
}

impl StatusFilter {
    fn admits(self, status: Option<&str>) -> bool {
        match self {
            StatusFilter::Any => true,
            StatusFilter::AcceptedOrAbsent => matches!(status, None | Some("accepted")),
        }
    }
}

/// One runnable test: a schema test (files = the schema documents) or an instance test
/// (files = the one instance document).
#[derive(Clone, Debug)]
pub struct Case {
    /// `<testSet name>/<testGroup name>/<test name>`.
    pub id: String,
    pub kind: Kind,
    pub files: Vec<PathBuf>,
    pub expected: Validity,
}

/// A testGroup with its runnable cases. Instance cases are validated against
/// `schema_documents`, compiled once per group.
#[derive(Clone, Debug)]
pub struct Group {
    pub set: String,
    pub name: String,
    /// The documents of the group's schemaTest, whether or not that schemaTest itself applies.
    /// Empty when the group has no schemaTest: its instances name their schema through
    /// xsi:schemaLocation / xsi:noNamespaceSchemaLocation.
    pub schema_documents: Vec<PathBuf>,
    pub cases: Vec<Case>,
}

impl Group {
    pub fn id(&self) -> String {
        format!("{}/{}", self.set, self.name)
    }
}

/// Applicable tests by their XSD 1.0 expectation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub valid: usize,
    pub invalid: usize,
    pub indeterminate: usize,
    /// No `expected` element applies to 1.0 (only Unicode_* or CTA feature variants).
    pub unspecified: usize,
}

impl Tally {
    pub fn total(&self) -> usize {
        self.valid + self.invalid + self.indeterminate + self.unspecified
    }

    fn add(&mut self, expectation: Expectation) {
        match expectation {
            Expectation::Known(Validity::Valid) => self.valid += 1,
            Expectation::Known(Validity::Invalid) => self.invalid += 1,
            Expectation::Indeterminate => self.indeterminate += 1,
            Expectation::Unspecified => self.unspecified += 1,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Groups in suite order; groups without an applicable case are left out.
    pub groups: Vec<Group>,
    /// Applicable schema tests (version and status admitted), by expectation.
    pub schema: Tally,
    /// Applicable instance tests, by expectation.
    pub instance: Tally,
    /// XSD 1.0 tests left out by the status filter (schema + instance).
    pub excluded_by_status: usize,
    /// testSetRefs in suite.xml whose file is absent from this snapshot.
    pub missing_test_sets: Vec<PathBuf>,
    /// Ids of groups with runnable instance cases but no schemaTest.
    pub schemaless_groups: Vec<String>,
    /// Applicable cases (in the tallies) that cannot run because a document they name is absent
    /// from the snapshot: (case id, absent file).
    pub missing_documents: Vec<(String, PathBuf)>,
}

impl Index {
    /// Reads `<root>/suite.xml` and every test set it references that exists.
    pub fn load(root: &Path, status: StatusFilter) -> Result<Index, IndexError> {
        let suite_path = root.join("suite.xml");
        let text = read(&suite_path)?;
        let suite = parse(&suite_path, &text)?;
        let mut index = Index::default();
        for set_ref in suite
            .root_element()
            .children()
            .filter(|n| n.has_tag_name((TS_NS, "testSetRef")))
        {
            let set_path = resolve(&suite_path, href(&suite_path, set_ref)?)?;
            if !set_path.exists() {
                index.missing_test_sets.push(set_path);
                continue;
            }
            index.add_test_set(&set_path, status)?;
        }
        Ok(index)
    }

    pub fn cases(&self) -> impl Iterator<Item = &Case> {
        self.groups.iter().flat_map(|g| g.cases.iter())
    }

    fn add_test_set(&mut self, path: &Path, status: StatusFilter) -> Result<(), IndexError> {
        let text = read(path)?;
        let doc = parse(path, &text)?;
        let set = doc.root_element();
        if !set.has_tag_name((TS_NS, "testSet")) {
            return Err(malformed(path, "root element is not ts:testSet"));
        }
        let set_name = required_attr(path, set, "name")?;
        for group in set
            .children()
            .filter(|n| n.has_tag_name((TS_NS, "testGroup")))
        {
            let group_name = required_attr(path, group, "name")?;
            let group_version = group.attribute("version").or(set.attribute("version"));
            let mut out = Group {
                set: set_name.to_owned(),
                name: group_name.to_owned(),
                schema_documents: Vec::new(),
                cases: Vec::new(),
            };
            let mut has_schema_test = false;
            for test in group.children().filter(|n| n.is_element()) {
                let (kind, doc_tag) = if test.has_tag_name((TS_NS, "schemaTest")) {
                    (Kind::Schema, "schemaDocument")
                } else if test.has_tag_name((TS_NS, "instanceTest")) {
                    (Kind::Instance, "instanceDocument")
                } else {
                    continue;
                };
                let test_name = required_attr(path, test, "name")?;
                let files = test
                    .children()
                    .filter(|n| n.has_tag_name((TS_NS, doc_tag)))
                    .map(|d| href(path, d).and_then(|h| resolve(path, h)))
                    .collect::<Result<Vec<_>, _>>()?;
                if files.is_empty() || (kind == Kind::Instance && files.len() != 1) {
                    return Err(malformed(
                        path,
                        &format!(
                            "{set_name}/{group_name}/{test_name}: {} {doc_tag}",
                            files.len()
                        ),
                    ));
                }
                if kind == Kind::Schema {
                    if has_schema_test {
                        return Err(malformed(
                            path,
                            &format!("{set_name}/{group_name}: more than one schemaTest"),
                        ));
                    }
                    has_schema_test = true;
                    out.schema_documents = files.clone();
                }
                let version = test.attribute("version").or(group_version);
                if !applies_to_xsd_1_0(version) {
                    continue;
                }
                if !status.admits(current_status(test)) {
                    self.excluded_by_status += 1;
                    continue;
                }
                let expectation = expectation(path, test)?;
                match kind {
                    Kind::Schema => self.schema.add(expectation),
                    Kind::Instance => self.instance.add(expectation),
                }
                let Expectation::Known(expected) = expectation else {
                    continue;
                };
                let id = format!("{set_name}/{group_name}/{test_name}");
                if let Some(absent) = files.iter().find(|f| !f.is_file()) {
                    self.missing_documents.push((id, absent.clone()));
                    continue;
                }
                out.cases.push(Case {
                    id,
                    kind,
                    files,
                    expected,
                });
            }
            if out.cases.is_empty() {
                continue;
            }
            if !has_schema_test && out.cases.iter().any(|c| c.kind == Kind::Instance) {
                self.schemaless_groups.push(out.id());
            }
            self.groups.push(out);
        }
        Ok(())
    }
}

/// A `version` value excludes a test from XSD 1.0 only when all its tokens are `1.1`; feature
/// tokens (Unicode_*, *-xpath-in-CTA) and an empty value leave it applicable.
fn applies_to_xsd_1_0(version: Option<&str>) -> bool {
    let Some(version) = version else {
        return true;
    };
    let mut tokens = version.split_ascii_whitespace().peekable();
    tokens.peek().is_none() || !tokens.all(|t| t == "1.1")
}

fn current_status<'a>(test: roxmltree::Node<'a, '_>) -> Option<&'a str> {
    test.children()
        .find(|n| n.has_tag_name((TS_NS, "current")))
        .and_then(|c| c.attribute("status"))
}

fn expectation(path: &Path, test: roxmltree::Node) -> Result<Expectation, IndexError> {
    let mut unversioned = None;
    let mut for_1_0 = None;
    for expected in test
        .children()
        .filter(|n| n.has_tag_name((TS_NS, "expected")))
    {
        let validity = required_attr(path, expected, "validity")?;
        let parsed = match validity {
            "valid" => Expectation::Known(Validity::Valid),
            "invalid" => Expectation::Known(Validity::Invalid),
            "indeterminate" => Expectation::Indeterminate,
            other => return Err(malformed(path, &format!("unknown validity {other:?}"))),
        };
        match expected.attribute("version") {
            None => unversioned = Some(parsed),
            Some(v) if v.split_ascii_whitespace().any(|t| t == "1.0") => for_1_0 = Some(parsed),
            Some(_) => {}
        }
    }
    Ok(for_1_0.or(unversioned).unwrap_or(Expectation::Unspecified))
}

fn read(path: &Path) -> Result<String, IndexError> {
    std::fs::read_to_string(path).map_err(|source| IndexError::Read {
        path: path.to_owned(),
        source,
    })
}

fn parse<'t>(path: &Path, text: &'t str) -> Result<roxmltree::Document<'t>, IndexError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|source| IndexError::Parse {
        path: path.to_owned(),
        source,
    })
}

fn required_attr<'a>(
    path: &Path,
    node: roxmltree::Node<'a, '_>,
    name: &str,
) -> Result<&'a str, IndexError> {
    node.attribute(name).ok_or_else(|| {
        malformed(
            path,
            &format!(
                "<{}> at byte {} lacks @{name}",
                node.tag_name().name(),
                node.range().start
            ),
        )
    })
}

fn href<'a>(path: &Path, node: roxmltree::Node<'a, '_>) -> Result<&'a str, IndexError> {
    node.attribute((XLINK_NS, "href")).ok_or_else(|| {
        malformed(
            path,
            &format!("<{}> lacks xlink:href", node.tag_name().name()),
        )
    })
}

/// Resolves a relative href against the file that contains it, normalising `.` and `..`
/// lexically so that the same document always gets the same path.
fn resolve(containing_file: &Path, href: &str) -> Result<PathBuf, IndexError> {
    if href.contains(':') || href.starts_with('/') {
        return Err(malformed(
            containing_file,
            &format!("href {href:?} is not a relative reference"),
        ));
    }
    let base = containing_file.parent().unwrap_or(Path::new(""));
    Ok(normalize(&base.join(href)))
}

pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn malformed(path: &Path, message: &str) -> IndexError {
    IndexError::Malformed {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_tokens() {
        assert!(applies_to_xsd_1_0(None));
        assert!(applies_to_xsd_1_0(Some("")));
        assert!(applies_to_xsd_1_0(Some("1.0")));
        assert!(applies_to_xsd_1_0(Some("1.0 1.1")));
        assert!(applies_to_xsd_1_0(Some("full-xpath-in-CTA")));
        assert!(!applies_to_xsd_1_0(Some("1.1")));
        assert!(!applies_to_xsd_1_0(Some(" 1.1  1.1 ")));
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d.xsd")),
            PathBuf::from("/a/c/d.xsd")
        );
        assert_eq!(normalize(Path::new("a/../../x")), PathBuf::from("../x"));
    }

    fn write_suite(dir: &Path, test_set: &str) {
        std::fs::create_dir_all(dir.join("meta")).unwrap();
        std::fs::write(
            dir.join("suite.xml"),
            format!(
                r#"<testSuite xmlns="{TS_NS}" xmlns:xlink="{XLINK_NS}">
                     <testSetRef xlink:href="meta/a.testSet"/>
                     <testSetRef xlink:href="meta/missing.testSet"/>
                   </testSuite>"#
            ),
        )
        .unwrap();
        std::fs::write(dir.join("meta/a.testSet"), test_set).unwrap();
        std::fs::create_dir_all(dir.join("d")).unwrap();
        for name in [
            "a.xsd", "b.xsd", "x.xml", "q.xml", "i.xml", "u.xml", "h.xml",
        ] {
            std::fs::write(dir.join("d").join(name), "<x/>").unwrap();
        }
    }

    #[test]
    fn applicability_and_inheritance() {
        let dir = scratch("applicability");
        write_suite(
            &dir,
            &format!(
                r#"<testSet xmlns="{TS_NS}" xmlns:xlink="{XLINK_NS}" name="S" version="1.1">
  <testGroup name="inherits11">
    <schemaTest name="s"><schemaDocument xlink:href="../d/a.xsd"/><expected validity="valid"/></schemaTest>
  </testGroup>
  <testGroup name="g" version="1.0 1.1">
    <schemaTest name="s"><schemaDocument xlink:href="../d/a.xsd"/><schemaDocument xlink:href="./../d/b.xsd"/>
      <expected validity="invalid" version="1.1"/><expected validity="valid" version="1.0"/></schemaTest>
    <instanceTest name="only11" version="1.1"><instanceDocument xlink:href="../d/x.xml"/><expected validity="valid"/></instanceTest>
    <instanceTest name="queried"><instanceDocument xlink:href="../d/q.xml"/><expected validity="invalid"/><current status="queried"/></instanceTest>
    <instanceTest name="ind"><instanceDocument xlink:href="../d/i.xml"/><expected validity="indeterminate"/></instanceTest>
    <instanceTest name="uni"><instanceDocument xlink:href="../d/u.xml"/><expected validity="valid" version="Unicode_4.0.0"/></instanceTest>
  </testGroup>
  <testGroup name="hints" version="1.0">
    <instanceTest name="absent"><instanceDocument xlink:href="../d/absent.xml"/><expected validity="valid"/></instanceTest>
    <instanceTest name="i"><instanceDocument xlink:href="../d/h.xml"/><expected validity="valid"/><current status="accepted"/></instanceTest>
  </testGroup>
</testSet>"#
            ),
        );
        let any = Index::load(&dir, StatusFilter::Any).unwrap();
        assert_eq!(
            any.missing_test_sets,
            vec![dir.join("meta/missing.testSet")]
        );
        let ids: Vec<_> = any.cases().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["S/g/s", "S/g/queried", "S/hints/i"]);
        assert_eq!(
            any.schema,
            Tally {
                valid: 1,
                ..Tally::default()
            }
        );
        assert_eq!(
            any.instance,
            Tally {
                valid: 2,
                invalid: 1,
                indeterminate: 1,
                unspecified: 1
            }
        );
        let g = &any.groups[0];
        assert_eq!(
            g.schema_documents,
            [dir.join("d/a.xsd"), dir.join("d/b.xsd")]
        );
        assert_eq!(g.cases[0].expected, Validity::Valid);
        assert_eq!(any.schemaless_groups, ["S/hints"]);
        assert_eq!(
            any.missing_documents,
            [("S/hints/absent".to_owned(), dir.join("d/absent.xml"))]
        );

        let accepted = Index::load(&dir, StatusFilter::AcceptedOrAbsent).unwrap();
        assert_eq!(accepted.excluded_by_status, 1);
        assert_eq!(accepted.instance.invalid, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn absolute_hrefs_are_rejected() {
        let dir = scratch("absolute");
        write_suite(
            &dir,
            &format!(
                r#"<testSet xmlns="{TS_NS}" xmlns:xlink="{XLINK_NS}" name="S"><testGroup name="g">
    <schemaTest name="s"><schemaDocument xlink:href="http://example.org/a.xsd"/><expected validity="valid"/></schemaTest>
  </testGroup></testSet>"#
            ),
        );
        let err = Index::load(&dir, StatusFilter::Any).unwrap_err();
        assert!(
            err.to_string().contains("not a relative reference"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("suite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
}
