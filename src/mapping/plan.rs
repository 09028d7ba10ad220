//! Compiling a mapping file into an immutable [`Plan`]: every path parsed and attached to the
//! scope it is relative to, every function checked, every code list loaded. Problems are
//! collected, not stopped at, so `check` can report them all at once.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path as FsPath, PathBuf};

use super::codelist::{CodeList, OnUnknown};
use super::expression::{self, Expr, ExprContext};
use super::file::{CodeListReference, CodeListSection, FieldSection, MappingDocument, OneOrMany};
use super::genericode;
use super::output_schema::{self, OutputSchema};
use super::path::{self, ExpandedName, NameTest, Namespaces, Path, Step, Terminal};

/// One thing wrong with a mapping file. `field` is the field's location (`records[].id`) or a
/// section name (`[output]`) for problems outside fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileProblem {
    pub field: String,
    pub message: String,
}

impl fmt::Display for CompileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.starts_with('[') {
            write!(f, "{}: {}", self.field, self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

/// Everything wrong with one mapping file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct CompileError {
    pub file: PathBuf,
    pub problems: Vec<CompileProblem>,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mapping {}:", self.file.display())?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// How a value field's text is typed in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    String,
    /// xs:decimal/xs:double lexical forms; a JSON number with the source's digits.
    Number,
    Integer,
    /// `true`/`false`/`1`/`0`; a JSON boolean.
    Boolean,
    /// xs:date, checked, written as a string.
    Date,
    /// xs:dateTime, checked, written as a string.
    DateTime,
}

impl ValueType {
    fn parse(text: &str) -> Option<ValueType> {
        Some(match text {
            "string" => ValueType::String,
            "number" | "decimal" => ValueType::Number,
            "integer" => ValueType::Integer,
            "boolean" => ValueType::Boolean,
            "date" => ValueType::Date,
            "datetime" | "dateTime" => ValueType::DateTime,
            _ => return None,
        })
    }
}

/// An output name for XML: `prefix:local`, optionally an attribute (`@name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlName {
    pub qualified: String,
    pub attribute: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputFormat {
    Json,
    Xml {
        root: String,
        /// (prefix, uri) in file order; `""` is the default namespace.
        namespaces: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum FieldContent {
    Value(Expr),
    Object(Vec<usize>),
    Group {
        /// Index into the frame's groups; the item fields are the item scope's.
        group: usize,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct FieldSpec {
    pub name: String,
    /// `records[].id`: where the field is, for messages.
    pub location: String,
    /// The path or expression as written, for messages.
    pub source: String,
    pub content: FieldContent,
    pub value_type: ValueType,
    pub required: bool,
    pub default: Option<String>,
    pub xml_attribute: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ScopeSpec {
    /// The scope's fields in file order (nested objects share their parent's scope).
    pub fields: Vec<usize>,
    pub slots: usize,
    pub groups: usize,
    /// Selectors relative to this scope's context element.
    pub selectors: Vec<usize>,
    /// For the items of a group of values: the field whose value each item is (the scope
    /// then has no `fields`).
    pub value: Option<usize>,
    /// The first steps of the scope's paths ([`StepNode`]s), matched against the context
    /// element's children.
    pub roots: Vec<u32>,
    /// Selectors without steps (`.`, `text()`, `@attr`): they select the context element.
    pub immediate: Vec<usize>,
}

/// One step of a scope's paths, shared by every path that begins with the same steps: the
/// evaluator tests `nachrichtenkopf.g2g` once per element, not once per path under it.
#[derive(Debug, Clone)]
pub(crate) struct StepNode {
    pub step: Step,
    pub position: Option<u32>,
    pub children: Vec<u32>,
    /// Selectors whose last step this is.
    pub ends: Vec<usize>,
    /// The slots of all paths through this step when they all fill slots (none opens a
    /// group item): once those are filled, nothing below needs matching (first match wins).
    pub slots: Option<Vec<usize>>,
}

/// Merges the paths of every scope into trees of [`StepNode`]s.
fn step_tree(scopes: &mut [ScopeSpec], selectors: &[Selector]) -> Vec<StepNode> {
    let mut nodes: Vec<StepNode> = Vec::new();
    for scope in scopes.iter_mut() {
        for &id in &scope.selectors {
            let Some(selector) = selectors.get(id) else {
                continue;
            };
            if selector.path.steps.is_empty() {
                scope.immediate.push(id);
                continue;
            }
            let mut parent: Option<usize> = None;
            for step in &selector.path.steps {
                let siblings = match parent {
                    None => Some(&scope.roots),
                    Some(p) => nodes.get(p).map(|n| &n.children),
                };
                let existing = siblings.and_then(|list| {
                    list.iter()
                        .map(|&n| n as usize)
                        .find(|&n| nodes.get(n).is_some_and(|node| node.step == *step))
                });
                let node = match existing {
                    Some(node) => node,
                    None => {
                        let node = nodes.len();
                        nodes.push(StepNode {
                            step: step.clone(),
                            position: step.position(),
                            children: Vec::new(),
                            ends: Vec::new(),
                            slots: Some(Vec::new()),
                        });
                        match parent.and_then(|p| nodes.get_mut(p)) {
                            None => scope.roots.push(node as u32),
                            Some(p) => p.children.push(node as u32),
                        }
                        node
                    }
                };
                if let Some(entry) = nodes.get_mut(node) {
                    match (selector.target, &mut entry.slots) {
                        (Target::Slot(slot), Some(slots)) => slots.push(slot),
                        (Target::Slot(_), None) => {}
                        (Target::Item { .. }, slots) => *slots = None,
                    }
                }
                parent = Some(node);
            }
            if let Some(last) = parent.and_then(|p| nodes.get_mut(p)) {
                last.ends.push(id);
            }
        }
    }
    nodes
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Slot(usize),
    /// Each match opens an item of `scope`, collected into the parent frame's `group`.
    Item {
        scope: usize,
        group: usize,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Selector {
    pub path: Path,
    pub target: Target,
    /// The field the path belongs to, for schema checks.
    pub field: usize,
}

impl Selector {
    fn new(path: Path, target: Target, field: usize) -> Selector {
        Selector {
            path,
            target,
            field,
        }
    }
}

/// A compiled mapping: immutable, shareable between threads, evaluated by
/// [`super::evaluation::Evaluation`].
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) file: PathBuf,
    pub(crate) root: ExpandedName,
    pub(crate) standard: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) output: OutputFormat,
    pub(crate) indent: usize,
    pub(crate) codelists: Vec<CodeList>,
    pub(crate) scopes: Vec<ScopeSpec>,
    pub(crate) fields: Vec<FieldSpec>,
    pub(crate) selectors: Vec<Selector>,
    /// XML only: the receiver's schema every output is validated against.
    pub(crate) output_schema: Option<OutputSchema>,
    /// The scopes' paths as step trees (`ScopeSpec::roots`), what the evaluator walks.
    pub(crate) nodes: Vec<StepNode>,
}

impl Plan {
    /// Reads and compiles a mapping file; genericode files are resolved relative to it.
    pub fn load(file: &FsPath) -> Result<Plan, CompileError> {
        let text = std::fs::read_to_string(file).map_err(|e| CompileError {
            file: file.to_owned(),
            problems: vec![CompileProblem {
                field: "[file]".into(),
                message: format!("cannot read: {e}"),
            }],
        })?;
        Plan::compile(&text, file)
    }

    /// Compiles mapping text; `file` names it in messages and anchors relative paths.
    pub fn compile(text: &str, file: &FsPath) -> Result<Plan, CompileError> {
        let fail = |problems| CompileError {
            file: file.to_owned(),
            problems,
        };
        let document: MappingDocument = toml::from_str(text).map_err(|e| {
            fail(vec![CompileProblem {
                field: "[file]".into(),
                message: e.to_string().trim_end().replace('\n', "\n    "),
            }])
        })?;
        let base = file.parent().unwrap_or(FsPath::new("."));
        let mut compiler = Compiler::new(&document, base);
        compiler.run(&document);
        if !compiler.problems.is_empty() {
            return Err(fail(compiler.problems));
        }
        let plan = compiler.finish(file, &document);
        // Needs the complete plan: only checked when everything else compiled.
        if let Some(schema) = &plan.output_schema {
            let problems = output_schema::check_structure(&plan, schema);
            if !problems.is_empty() {
                return Err(fail(problems));
            }
        }
        Ok(plan)
    }

    /// The media type of what [`Plan::evaluation`] produces.
    pub fn content_type(&self) -> &'static str {
        match self.output {
            OutputFormat::Json => "application/json",
            OutputFormat::Xml { .. } => "application/xml",
        }
    }

    /// The source root element this mapping accepts.
    pub fn source_root(&self) -> &ExpandedName {
        &self.root
    }

    /// The standard and version label from `[source]`.
    pub fn source_standard(&self) -> (Option<&str>, Option<&str>) {
        (self.standard.as_deref(), self.version.as_deref())
    }

    pub fn file(&self) -> &FsPath {
        &self.file
    }

    pub fn output_format(&self) -> &OutputFormat {
        &self.output
    }

    /// The receiver's schema the output is validated against, when `[output] schema` names one.
    pub fn output_schema(&self) -> Option<&OutputSchema> {
        self.output_schema.as_ref()
    }
}

struct Compiler<'a> {
    base: &'a FsPath,
    namespaces: Namespaces,
    root: ExpandedName,
    output_xml: bool,
    output_prefixes: HashSet<String>,
    codelist_names: BTreeMap<String, usize>,
    codelists: Vec<CodeList>,
    scopes: Vec<ScopeSpec>,
    fields: Vec<FieldSpec>,
    selectors: Vec<Selector>,
    problems: Vec<CompileProblem>,
    output: OutputFormat,
    output_schema: Option<OutputSchema>,
}

/// Registers expression paths for one field in one scope.
struct FieldPaths<'c, 'a> {
    compiler: &'c mut Compiler<'a>,
    scope: usize,
    field: usize,
}

impl ExprContext for FieldPaths<'_, '_> {
    fn path(&mut self, text: &str) -> Result<usize, String> {
        let path = self.compiler.parse_path(text, self.scope)?;
        let scope = self
            .compiler
            .scopes
            .get_mut(self.scope)
            .ok_or_else(|| "internal: unknown scope".to_owned())?;
        let slot = scope.slots;
        scope.slots += 1;
        scope.selectors.push(self.compiler.selectors.len());
        self.compiler
            .selectors
            .push(Selector::new(path, Target::Slot(slot), self.field));
        Ok(slot)
    }

    fn codelist(&self, name: &str) -> Option<usize> {
        self.compiler.codelist_names.get(name).copied()
    }
}

impl<'a> Compiler<'a> {
    fn new(document: &MappingDocument, base: &'a FsPath) -> Compiler<'a> {
        let mut problems = Vec::new();
        let root = ExpandedName {
            namespace: document
                .source
                .root
                .namespace
                .clone()
                .filter(|ns| !ns.is_empty()),
            local: document.source.root.name.clone(),
        };
        if !is_ncname(&root.local) {
            problems.push(CompileProblem {
                field: "[source]".into(),
                message: format!("root name {:?} is not an XML local name", root.local),
            });
        }
        let mut output_prefixes = HashSet::new();
        let (output, output_xml) = match document.output.format.as_str() {
            "json" => {
                if document.output.root.is_some() || !document.output.namespaces.is_empty() {
                    problems.push(CompileProblem {
                        field: "[output]".into(),
                        message: "`root` and `namespaces` apply to XML output only".into(),
                    });
                }
                (OutputFormat::Json, false)
            }
            "xml" => {
                for (prefix, uri) in &document.output.namespaces {
                    if !prefix.is_empty() && !is_ncname(prefix) {
                        problems.push(CompileProblem {
                            field: "[output]".into(),
                            message: format!("namespace prefix {prefix:?} is not an NCName"),
                        });
                    }
                    if uri.is_empty() {
                        problems.push(CompileProblem {
                            field: "[output]".into(),
                            message: format!("namespace prefix {prefix:?} has an empty URI"),
                        });
                    }
                    output_prefixes.insert(prefix.clone());
                }
                let root = document.output.root.clone().unwrap_or_default();
                if let Err(message) = check_xml_name(&root, &output_prefixes) {
                    problems.push(CompileProblem {
                        field: "[output]".into(),
                        message: format!("root: {message}"),
                    });
                }
                (
                    OutputFormat::Xml {
                        root,
                        namespaces: document
                            .output
                            .namespaces
                            .iter()
                            .map(|(p, u)| (p.clone(), u.clone()))
                            .collect(),
                    },
                    true,
                )
            }
            other => {
                problems.push(CompileProblem {
                    field: "[output]".into(),
                    message: format!("format {other:?} is neither \"json\" nor \"xml\""),
                });
                (OutputFormat::Json, false)
            }
        };
        let output_schema = compile_output_schema(document, base, output_xml, &mut problems);
        Compiler {
            base,
            namespaces: document.namespaces.clone(),
            root,
            output_xml,
            output_prefixes,
            codelist_names: BTreeMap::new(),
            codelists: Vec::new(),
            scopes: vec![ScopeSpec::default()],
            fields: Vec::new(),
            selectors: Vec::new(),
            problems,
            output,
            output_schema,
        }
    }

    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(CompileProblem {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn run(&mut self, document: &MappingDocument) {
        for (name, section) in &document.codelists {
            let location = format!("[codelists.{name}]");
            if let Some(list) = self.codelist(name, section, &location) {
                self.codelist_names
                    .insert(name.clone(), self.codelists.len());
                self.codelists.push(list);
            }
        }
        if document.fields.is_empty() {
            self.problem("[field]", "the mapping has no fields");
        }
        let top = self.fields_of(&document.fields, 0, "");
        if let Some(scope) = self.scopes.get_mut(0) {
            scope.fields = top;
        }
    }

    fn finish(mut self, file: &FsPath, document: &MappingDocument) -> Plan {
        let nodes = step_tree(&mut self.scopes, &self.selectors);
        Plan {
            nodes,
            file: file.to_owned(),
            root: self.root,
            standard: document.source.standard.clone(),
            version: document.source.version.clone(),
            output: self.output,
            indent: document.output.indent.unwrap_or(2),
            codelists: self.codelists,
            scopes: self.scopes,
            fields: self.fields,
            selectors: self.selectors,
            output_schema: self.output_schema,
        }
    }

    fn codelist(
        &mut self,
        name: &str,
        section: &CodeListSection,
        location: &str,
    ) -> Option<CodeList> {
        let on_unknown = match section.on_unknown.as_deref() {
            None => OnUnknown::Error,
            Some(text) => match OnUnknown::parse(text) {
                Some(policy) => policy,
                None => {
                    self.problem(
                        location,
                        format!("on_unknown {text:?} is not \"error\", \"keep\" or \"empty\""),
                    );
                    return None;
                }
            },
        };
        let entries = match (&section.genericode, &section.values) {
            (Some(file), None) => {
                let (Some(key), Some(value)) = (&section.key_column, &section.value_column) else {
                    self.problem(
                        location,
                        "a genericode code list needs key_column and value_column",
                    );
                    return None;
                };
                let resolved = self.base.join(file);
                let bytes = match std::fs::read(&resolved) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        self.problem(
                            location,
                            format!("cannot read genericode {}: {e}", resolved.display()),
                        );
                        return None;
                    }
                };
                match genericode::read(&bytes, key, value) {
                    Ok(table) => table.entries,
                    Err(e) => {
                        self.problem(location, format!("genericode {}: {e}", resolved.display()));
                        return None;
                    }
                }
            }
            (None, Some(values)) => {
                if section.key_column.is_some() || section.value_column.is_some() {
                    self.problem(location, "key_column/value_column apply to genericode only");
                }
                values.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
            }
            _ => {
                self.problem(location, "a code list has either `genericode` or `values`");
                return None;
            }
        };
        Some(CodeList {
            name: name.to_owned(),
            entries,
            on_unknown,
        })
    }

    fn parse_path(&self, text: &str, scope: usize) -> Result<Path, String> {
        let mut path = path::parse(text, &self.namespaces).map_err(|e| e.problem)?;
        if path.absolute {
            if scope != 0 {
                return Err(format!(
                    "{text:?}: absolute paths are not allowed inside a group (paths there are relative to the item)"
                ));
            }
            let first_is_root = path.steps.first().is_some_and(|step| {
                step.predicates.is_empty()
                    && matches!(&step.test, NameTest::Name(n) if *n == self.root)
            });
            if !first_is_root {
                return Err(format!(
                    "{text:?}: an absolute path must start with the source root {}",
                    self.root
                ));
            }
            path.steps.remove(0);
            path.absolute = false;
        }
        Ok(path)
    }

    fn fields_of(&mut self, sections: &[FieldSection], scope: usize, prefix: &str) -> Vec<usize> {
        let mut ids = Vec::with_capacity(sections.len());
        let mut seen = HashSet::new();
        for section in sections {
            let location = if prefix.is_empty() {
                section.name.clone()
            } else {
                format!("{prefix}.{}", section.name)
            };
            if !seen.insert(section.name.clone()) {
                self.problem(&location, "a field of this name is already defined here");
                continue;
            }
            if let Some(id) = self.field(section, scope, &location) {
                ids.push(id);
            }
        }
        ids
    }

    fn field(&mut self, section: &FieldSection, scope: usize, location: &str) -> Option<usize> {
        let xml_attribute = section.name.starts_with('@');
        if section.name.is_empty() {
            self.problem(location, "the name is empty");
        }
        if self.output_xml {
            let name = section.name.strip_prefix('@').unwrap_or(&section.name);
            if let Err(message) = check_xml_name(name, &self.output_prefixes) {
                self.problem(location, format!("XML name: {message}"));
            }
        }
        let value_type = match section.value_type.as_deref() {
            None => ValueType::String,
            Some(text) => ValueType::parse(text).unwrap_or_else(|| {
                self.problem(
                    location,
                    format!(
                        "type {text:?} is not string, number, integer, boolean, date or datetime"
                    ),
                );
                ValueType::String
            }),
        };
        let values = [
            section.path.is_some(),
            section.value.is_some(),
            section.expr.is_some(),
            section.choose.is_some(),
        ]
        .iter()
        .filter(|&&set| set)
        .count();
        if values > 1 {
            self.problem(location, "give only one of path, value, expr and choose");
            return None;
        }
        let id = self.fields.len();
        // Reserve the id first: nested fields get later ids, and selectors point back here.
        self.fields.push(FieldSpec {
            name: section.name.clone(),
            location: location.to_owned(),
            source: String::new(),
            content: FieldContent::Object(Vec::new()),
            value_type,
            required: section.required,
            default: section.default.clone(),
            xml_attribute,
        });
        let nested = !section.fields.is_empty();
        let structural = |compiler: &mut Compiler<'_>, what: &str| {
            if section.value_type.is_some() {
                compiler.problem(
                    location,
                    format!("`type` applies to value fields, not {what}"),
                );
            }
            if section.default.is_some() || section.codelist.is_some() {
                compiler.problem(
                    location,
                    format!("`default` and `codelist` apply to value fields, not {what}"),
                );
            }
            if xml_attribute {
                compiler.problem(location, format!("an attribute (`@name`) cannot be {what}"));
            }
        };
        let (content, source) = if let Some(for_each) = &section.for_each {
            let scalar = values == 1;
            if scalar {
                // A group of values: one array item / element per match, each the value of
                // path/expr/choose relative to the matched element.
                if nested {
                    self.problem(
                        location,
                        "a group of values (for_each with path, value, expr or choose) cannot have nested fields",
                    );
                }
                if xml_attribute {
                    self.problem(location, "an attribute (`@name`) cannot be a group");
                }
            } else {
                structural(self, "a group");
                if !nested {
                    self.problem(
                        location,
                        "a group (for_each) needs nested fields, or path, value, expr or choose for a group of values",
                    );
                }
            }
            let path = match self.parse_path(for_each, scope) {
                Ok(path) if path.steps.is_empty() || path.terminal != Terminal::StringValue => {
                    self.problem(
                        location,
                        format!("for_each {for_each:?} must select elements (no `.`, `@attr` or `text()`)"),
                    );
                    return None;
                }
                Ok(path) => path,
                Err(message) => {
                    self.problem(location, format!("for_each: {message}"));
                    return None;
                }
            };
            let item_scope = self.scopes.len();
            self.scopes.push(ScopeSpec::default());
            let parent = self.scopes.get_mut(scope)?;
            let group = parent.groups;
            parent.groups += 1;
            parent.selectors.push(self.selectors.len());
            self.selectors.push(Selector::new(
                path,
                Target::Item {
                    scope: item_scope,
                    group,
                },
                id,
            ));
            if scalar {
                // The item's value is a field of the item scope, named like the group (for
                // XML elements) and typed like it; `required` stays on the group (≥ 1 item).
                let item_location = format!("{location}[]");
                let item = self.fields.len();
                self.fields.push(FieldSpec {
                    name: section.name.clone(),
                    location: item_location.clone(),
                    source: String::new(),
                    content: FieldContent::Object(Vec::new()),
                    value_type,
                    required: false,
                    default: section.default.clone(),
                    xml_attribute: false,
                });
                let (expr, item_source) =
                    self.value_expr(section, item_scope, item, &item_location)?;
                if let Some(field) = self.fields.get_mut(item) {
                    field.content = FieldContent::Value(expr);
                    field.source = item_source;
                }
                if let Some(s) = self.scopes.get_mut(item_scope) {
                    s.value = Some(item);
                }
            } else {
                let fields = self.fields_of(&section.fields, item_scope, &format!("{location}[]"));
                if let Some(s) = self.scopes.get_mut(item_scope) {
                    s.fields = fields;
                }
            }
            (FieldContent::Group { group }, for_each.clone())
        } else if values == 0 {
            if !nested {
                self.problem(
                    location,
                    "needs one of path, value, expr, choose, for_each or nested fields",
                );
                return None;
            }
            structural(self, "an object");
            let fields = self.fields_of(&section.fields, scope, location);
            (FieldContent::Object(fields), String::new())
        } else {
            if nested {
                self.problem(
                    location,
                    "a value field cannot have nested fields (use for_each for a group)",
                );
            }
            let (expr, source) = self.value_expr(section, scope, id, location)?;
            (FieldContent::Value(expr), source)
        };
        if let Some(field) = self.fields.get_mut(id) {
            field.content = content;
            field.source = source;
        }
        Some(id)
    }

    /// The value of a value field (or of each item of a group of values): its path,
    /// constant, expression or choice, with its code list applied; paths are relative to
    /// `scope` and registered for field `field`.
    fn value_expr(
        &mut self,
        section: &FieldSection,
        scope: usize,
        field: usize,
        location: &str,
    ) -> Option<(Expr, String)> {
        let mut paths = FieldPaths {
            compiler: self,
            scope,
            field,
        };
        let (parsed, source) = if let Some(path) = &section.path {
            (paths.path(path).map(Expr::Path), path.clone())
        } else if let Some(value) = &section.value {
            (Ok(Expr::Literal(value.clone())), format!("{value:?}"))
        } else if let Some(text) = &section.expr {
            (expression::parse_expr(text, &mut paths), text.clone())
        } else if let Some(choices) = &section.choose {
            (choose(choices, &mut paths), "choose".to_owned())
        } else {
            (Err("no value".to_owned()), String::new())
        };
        let mut expr = match parsed {
            Ok(expr) => expr,
            Err(message) => {
                self.problem(location, message);
                return None;
            }
        };
        if let Some(reference) = &section.codelist {
            let list = match reference {
                CodeListReference::Named(name) => {
                    self.codelist_names.get(name).copied().or_else(|| {
                        self.problem(
                            location,
                            format!("codelist {name:?} is not defined in [codelists]"),
                        );
                        None
                    })
                }
                CodeListReference::Inline(inline) => {
                    self.codelist(location, inline, location).map(|list| {
                        self.codelists.push(list);
                        self.codelists.len() - 1
                    })
                }
            };
            if let Some(list) = list {
                expr = Expr::Lookup(list, Box::new(expr));
            }
        }
        Some((expr, source))
    }
}

/// The receiver's schema named in `[output]`, compiled; XML output only.
fn compile_output_schema(
    document: &MappingDocument,
    base: &FsPath,
    output_xml: bool,
    problems: &mut Vec<CompileProblem>,
) -> Option<OutputSchema> {
    let mut problem = |message: String| {
        problems.push(CompileProblem {
            field: "[output]".into(),
            message,
        })
    };
    let files = document.output.schema.clone().map(OneOrMany::into_vec);
    let catalog = document.output.catalog.as_ref().map(|c| base.join(c));
    if !output_xml {
        if files.is_some() || catalog.is_some() {
            problem(
                "`schema` and `catalog` apply to XML output only (JSON output cannot be validated against a JSON Schema)".into(),
            );
        }
        return None;
    }
    let Some(files) = files else {
        if catalog.is_some() {
            problem("`catalog` needs `schema`".into());
        }
        return None;
    };
    if files.is_empty() {
        problem("`schema` names no file".into());
        return None;
    }
    let files = files.iter().map(|f| base.join(f)).collect();
    match OutputSchema::compile(files, catalog.as_deref()) {
        Ok(schema) => Some(schema),
        Err(errors) => {
            for error in errors {
                problem(format!("output schema: {error}"));
            }
            None
        }
    }
}

fn choose(
    choices: &[super::file::ChoiceSection],
    paths: &mut dyn ExprContext,
) -> Result<Expr, String> {
    let mut branches = Vec::new();
    let mut otherwise = None;
    for (i, choice) in choices.iter().enumerate() {
        match (&choice.when, &choice.then, &choice.otherwise) {
            (Some(when), Some(then), None) => {
                if otherwise.is_some() {
                    return Err(format!("choose[{i}]: `otherwise` must come last"));
                }
                let condition = expression::parse_condition(when, paths)
                    .map_err(|e| format!("choose[{i}].when: {e}"))?;
                let value = expression::parse_expr(then, paths)
                    .map_err(|e| format!("choose[{i}].then: {e}"))?;
                branches.push((condition, value));
            }
            (None, None, Some(text)) => {
                if otherwise.is_some() {
                    return Err(format!("choose[{i}]: a second `otherwise`"));
                }
                otherwise = Some(Box::new(
                    expression::parse_expr(text, paths)
                        .map_err(|e| format!("choose[{i}].otherwise: {e}"))?,
                ));
            }
            _ => {
                return Err(format!(
                    "choose[{i}]: an entry is either {{ when, then }} or {{ otherwise }}"
                ))
            }
        }
    }
    if branches.is_empty() {
        return Err("choose needs at least one { when, then }".into());
    }
    Ok(Expr::Choose(branches, otherwise))
}

fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}'))
}

fn check_xml_name(name: &str, prefixes: &HashSet<String>) -> Result<(), String> {
    let (prefix, local) = name.split_once(':').unwrap_or(("", name));
    if !is_ncname(local) || (!prefix.is_empty() && !is_ncname(prefix)) {
        return Err(format!("{name:?} is not a valid XML name"));
    }
    if !prefix.is_empty() && !prefixes.contains(prefix) {
        return Err(format!(
            "prefix {prefix:?} is not declared in [output.namespaces]"
        ));
    }
    Ok(())
}
