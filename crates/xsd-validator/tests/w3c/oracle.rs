//! REFERENCE ORACLE — test support only, never product code.
//!
//! libxml2's `xmllint` wrapped as an [`Engine`], so that the harness can be checked against the
//! documented reference rates before our engine exists, and so that verdicts can be compared.
//! Every call is `xmllint --noout --nonet --schema S I` (with `--nocatalogs` unless a catalog is
//! given through `XML_CATALOG_FILES`).
//!
//! xmllint takes one schema document. For several documents it gets a generated wrapper: no-namespace
//! documents are `xs:include`d, a namespace with one document is `xs:import`ed directly, and a
//! namespace with several documents is imported through a second wrapper with that
//! targetNamespace that includes them all (libxml2 honours only the first import per namespace).
//! An empty document list means "use the instance's xsi:schemaLocation hints"; the wrapper is then
//! built from those hints at validation time (an empty schema when there are none).
//!
//! libxml2 expands bounded repetitions into automata, so some schemas with large maxOccurs make
//! it run for many minutes: each run is killed after `XSD_ORACLE_TIMEOUT_SECONDS` (default 20)
//! and reported as an error.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::engine::Engine;

const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

pub struct Xmllint {
    program: OsString,
    scratch: PathBuf,
    dummy_instance: PathBuf,
    next_file: AtomicU64,
    version: String,
    timeout: Duration,
}

/// How one xmllint run ended.
struct Run {
    /// `None`: killed by a signal.
    code: Option<i32>,
    stderr: String,
}

/// A schema xmllint compiled once (the check is repeated by each validation run, which is how
/// xmllint works). Wrapper files it owns are removed on drop.
pub struct XmllintSchema {
    /// `None`: take the schema from the instance's hints.
    main: Option<PathBuf>,
    catalog: Option<PathBuf>,
    owned: Vec<PathBuf>,
}

impl Drop for XmllintSchema {
    fn drop(&mut self) {
        for file in &self.owned {
            let _ = std::fs::remove_file(file);
        }
    }
}

impl Xmllint {
    /// Finds `xmllint` (or `$XMLLINT`) and prepares a scratch directory under the target dir.
    pub fn new() -> Result<Xmllint, String> {
        let program = std::env::var_os("XMLLINT").unwrap_or_else(|| "xmllint".into());
        let out = Command::new(&program)
            .arg("--version")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))?;
        // xmllint prints its version on stderr.
        let version = String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned();
        static INSTANCES: AtomicU64 = AtomicU64::new(0);
        let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "xmllint-oracle-{}-{}",
            std::process::id(),
            INSTANCES.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&scratch)
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        let dummy_instance = scratch.join("dummy.xml");
        std::fs::write(&dummy_instance, "<dummy/>\n")
            .map_err(|e| format!("cannot write {}: {e}", dummy_instance.display()))?;
        Ok(Xmllint {
            program,
            scratch,
            dummy_instance,
            next_file: AtomicU64::new(0),
            version,
            timeout: Duration::from_secs(
                std::env::var("XSD_ORACLE_TIMEOUT_SECONDS")
                    .ok()
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(20),
            ),
        })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    fn run(&self, schema: &Path, instance: &Path, catalog: Option<&Path>) -> Result<Run, String> {
        let mut command = Command::new(&self.program);
        command.args(["--noout", "--nonet"]);
        match catalog {
            Some(catalog) => {
                command.env("XML_CATALOG_FILES", catalog);
            }
            None => {
                command.arg("--nocatalogs");
            }
        }
        command.arg("--schema").arg(schema).arg(instance);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run xmllint: {e}"))?;
        // Drained on its own thread so that a chatty xmllint cannot block on a full pipe.
        let stderr_pipe = child.stderr.take();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = stderr_pipe {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        });
        let deadline = Instant::now() + self.timeout;
        let mut pause = Duration::from_micros(500);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(format!(
                        "xmllint timed out after {} s on {}",
                        self.timeout.as_secs(),
                        schema.display()
                    ));
                }
                Ok(None) => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => break Err(format!("cannot wait for xmllint: {e}")),
            }
        };
        let stderr = reader.join().unwrap_or_default();
        status.map(|status| Run {
            code: status.code(),
            stderr,
        })
    }

    fn compile_inner(
        &self,
        files: &[PathBuf],
        catalog: Option<&Path>,
    ) -> Result<XmllintSchema, String> {
        let mut schema = XmllintSchema {
            main: None,
            catalog: catalog.map(Path::to_owned),
            owned: Vec::new(),
        };
        let documents: Vec<(Option<String>, PathBuf)> = files
            .iter()
            .map(|f| (target_namespace(f), f.clone()))
            .collect();
        let main = match documents.as_slice() {
            [] => return Ok(schema),
            [(_, only)] => only.clone(),
            _ => self.wrap(&documents, &mut schema.owned)?,
        };
        let out = self.run(&main, &self.dummy_instance, catalog)?;
        schema.main = Some(main);
        match out.code {
            // The dummy instance is valid (0) or, usually, invalid (3, 4): the schema compiled.
            Some(0 | 3 | 4) => Ok(schema),
            code => Err(failure("schema", code, &out)),
        }
    }

    /// Writes the wrapper(s) for several documents; returns the top one.
    fn wrap(
        &self,
        documents: &[(Option<String>, PathBuf)],
        owned: &mut Vec<PathBuf>,
    ) -> Result<PathBuf, String> {
        let mut namespaces: Vec<&str> = Vec::new();
        for (ns, _) in documents {
            if let Some(ns) = ns.as_deref() {
                if !namespaces.contains(&ns) {
                    namespaces.push(ns);
                }
            }
        }
        let mut top = String::from("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n");
        for (ns, path) in documents {
            if ns.is_none() {
                top.push_str(&format!(
                    "  <xs:include schemaLocation=\"{}\"/>\n",
                    attr(path)
                ));
            }
        }
        for ns in namespaces {
            let members: Vec<&PathBuf> = documents
                .iter()
                .filter(|(n, _)| n.as_deref() == Some(ns))
                .map(|(_, p)| p)
                .collect();
            let location = match members.as_slice() {
                [only] => (*only).clone(),
                _ => {
                    let mut inner = format!(
                        "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"{}\">\n",
                        escape(ns)
                    );
                    for path in &members {
                        inner.push_str(&format!(
                            "  <xs:include schemaLocation=\"{}\"/>\n",
                            attr(path)
                        ));
                    }
                    inner.push_str("</xs:schema>\n");
                    self.write_scratch(&inner, owned)?
                }
            };
            top.push_str(&format!(
                "  <xs:import namespace=\"{}\" schemaLocation=\"{}\"/>\n",
                escape(ns),
                attr(&location)
            ));
        }
        top.push_str("</xs:schema>\n");
        self.write_scratch(&top, owned)
    }

    fn write_scratch(&self, text: &str, owned: &mut Vec<PathBuf>) -> Result<PathBuf, String> {
        let n = self.next_file.fetch_add(1, Ordering::Relaxed);
        let path = self.scratch.join(format!("wrapper-{n}.xsd"));
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        owned.push(path.clone());
        Ok(path)
    }

    /// The schema named by the instance's xsi hints, as a wrapper.
    fn schema_from_hints(
        &self,
        instance: &Path,
        owned: &mut Vec<PathBuf>,
    ) -> Result<PathBuf, String> {
        let bytes = std::fs::read(instance)
            .map_err(|e| format!("cannot read {}: {e}", instance.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        let doc = roxmltree::Document::parse_with_options(
            &text,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..roxmltree::ParsingOptions::default()
            },
        )
        .map_err(|e| format!("{}: {e}", instance.display()))?;
        let base = instance.parent().unwrap_or(Path::new(""));
        let mut documents: Vec<(Option<String>, PathBuf)> = Vec::new();
        let mut add = |ns: Option<String>, location: &str| {
            let path = super::suite::normalize(&base.join(location));
            if !documents.iter().any(|(n, p)| *n == ns || *p == path) {
                documents.push((ns, path));
            }
        };
        for element in doc.descendants().filter(|n| n.is_element()) {
            if let Some(pairs) = element.attribute((XSI_NS, "schemaLocation")) {
                let tokens: Vec<&str> = pairs.split_ascii_whitespace().collect();
                for pair in tokens.chunks_exact(2) {
                    if let [ns, location] = pair {
                        add(Some((*ns).to_owned()), location);
                    }
                }
            }
            if let Some(location) = element.attribute((XSI_NS, "noNamespaceSchemaLocation")) {
                add(None, location.trim());
            }
        }
        match documents.as_slice() {
            // No schema at all: an empty one, so xmllint assesses the root against nothing
            // (its verdict is then "no matching global declaration", i.e. invalid).
            [] => self.write_scratch(
                "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"/>\n",
                owned,
            ),
            [(_, only)] => Ok(only.clone()),
            _ => self.wrap(&documents, owned),
        }
    }
}

impl Drop for Xmllint {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.dummy_instance);
        // Only succeeds once every wrapper is gone; never removes anything we did not create.
        let _ = std::fs::remove_dir(&self.scratch);
    }
}

impl Engine for Xmllint {
    type Compiled = XmllintSchema;

    fn compile(&self, schema_files: &[PathBuf]) -> Result<XmllintSchema, String> {
        self.compile_inner(schema_files, None)
    }

    fn compile_with_catalog(
        &self,
        schema_files: &[PathBuf],
        catalog: &Path,
    ) -> Result<XmllintSchema, String> {
        self.compile_inner(schema_files, Some(catalog))
    }

    fn validate(&self, schema: &XmllintSchema, instance: &Path) -> Result<bool, String> {
        if !instance.is_file() {
            return Err(format!("{} does not exist", instance.display()));
        }
        let mut owned = Vec::new();
        let (main, from_hints) = match &schema.main {
            Some(main) => (main.clone(), false),
            None => (self.schema_from_hints(instance, &mut owned)?, true),
        };
        let out = self.run(&main, instance, schema.catalog.as_deref());
        for file in owned {
            let _ = std::fs::remove_file(file);
        }
        let out = out?;
        match out.code {
            Some(0) => Ok(true),
            // 1: not well-formed; 3, 4: invalid.
            Some(1 | 3 | 4) => Ok(false),
            // A hinted schema that does not compile cannot make the instance valid.
            Some(5) if from_hints => Ok(false),
            code => Err(failure("validation", code, &out)),
        }
    }
}

fn failure(what: &str, code: Option<i32>, out: &Run) -> String {
    let first = out.stderr.lines().next().unwrap_or("");
    match code {
        Some(5) => first.to_owned(),
        Some(code) => format!("xmllint {what} run exited with {code}: {first}"),
        None => format!("xmllint {what} run killed by a signal: {first}"),
    }
}

/// The targetNamespace of a schema document; `None` for none, or when it cannot be read (it is
/// then included, and xmllint reports the problem).
fn target_namespace(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&text, options).ok()?;
    doc.root_element()
        .attribute("targetNamespace")
        .map(str::to_owned)
}

fn attr(path: &Path) -> String {
    escape(&path.to_string_lossy())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Exercises the oracle itself on a tiny schema; skipped when xmllint is not installed.
    #[test]
    fn oracle_verdicts_and_wrappers() {
        let Ok(xmllint) = Xmllint::new() else {
            eprintln!("oracle_verdicts_and_wrappers: skipped, xmllint not installed");
            return;
        };
        let dir = xmllint.scratch.join("fixture");
        std::fs::create_dir_all(&dir).unwrap();
        let a = write(
            &dir,
            "a.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:b="urn:b">
                 <xs:import namespace="urn:b"/>
                 <xs:element name="r"><xs:complexType><xs:sequence><xs:element ref="b:x"/></xs:sequence></xs:complexType></xs:element>
               </xs:schema>"#,
        );
        let b = write(
            &dir,
            "b.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b">
                 <xs:element name="x" type="xs:int"/></xs:schema>"#,
        );
        let broken = write(
            &dir,
            "broken.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r" type="nope"/></xs:schema>"#,
        );
        let valid = write(&dir, "valid.xml", r#"<r><x xmlns="urn:b">1</x></r>"#);
        let invalid = write(&dir, "invalid.xml", r#"<r><x xmlns="urn:b">one</x></r>"#);
        let malformed = write(&dir, "malformed.xml", "<r><x></r>");
        let hinted = write(
            &dir,
            "hinted.xml",
            r#"<x xmlns="urn:b" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:b b.xsd">2</x>"#,
        );

        // a.xsd alone cannot resolve b:x; with b.xsd through the wrapper it can.
        assert!(xmllint.compile(std::slice::from_ref(&a)).is_err());
        let both = xmllint.compile(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(xmllint.validate(&both, &valid), Ok(true));
        assert_eq!(xmllint.validate(&both, &invalid), Ok(false));
        assert_eq!(xmllint.validate(&both, &malformed), Ok(false));
        assert!(xmllint.validate(&both, &dir.join("absent.xml")).is_err());
        let err = match xmllint.compile(&[broken]) {
            Err(e) => e,
            Ok(_) => panic!("broken schema compiled"),
        };
        assert!(err.contains("nope"), "{err}");
        // A remote location resolves only through the catalog (and --nonet keeps it offline).
        let remote = write(
            &dir,
            "remote.xsd",
            r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:b="urn:b">
                 <xs:import namespace="urn:b" schemaLocation="http://example.org/b.xsd"/>
                 <xs:element name="r"><xs:complexType><xs:sequence><xs:element ref="b:x"/></xs:sequence></xs:complexType></xs:element>
               </xs:schema>"#,
        );
        let catalog = write(
            &dir,
            "catalog.xml",
            r#"<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">
                 <uri name="http://example.org/b.xsd" uri="b.xsd"/></catalog>"#,
        );
        assert!(xmllint.compile(std::slice::from_ref(&remote)).is_err());
        let via_catalog = xmllint.compile_with_catalog(&[remote], &catalog).unwrap();
        assert_eq!(xmllint.validate(&via_catalog, &invalid), Ok(false));
        assert_eq!(xmllint.validate(&via_catalog, &valid), Ok(true));

        let hints = xmllint.compile(&[]).unwrap();
        assert_eq!(xmllint.validate(&hints, &hinted), Ok(true));
        assert_eq!(xmllint.validate(&hints, &valid), Ok(false));
        drop(both);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            std::fs::read_dir(&xmllint.scratch).unwrap().count(),
            1,
            "wrappers left behind"
        );
    }
}
