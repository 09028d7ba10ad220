//! The pipeline: one pass over a submission's bytes that checks it (well-formedness and limits,
//! and schema validity where the route names a schema set), extracts the envelope, and decides
//! the route. Synchronous and free of I/O, so the ingress runs it on a blocking thread.
//!
//! **Architecture Invariant:** nothing is stored before the pipeline has accepted the bytes.

mod envelope;

pub use envelope::EnvelopeCollector;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use xsd_validator::reader::{Attribute, Event, Limits as ReaderLimits, Reader};
use xsd_validator::{ElementEvent, EndEvent, SchemaSet, Sink, ValidationOptions, Violation};

use crate::config::{Config, ConfigProblem, Limits, Sender};
use crate::mapping::evaluation::ReaderAttributes;
use crate::mapping::{Evaluation, MappingError, MappingEvents, Mappings, Plan, SchemaSetPaths};
use crate::routing::{Envelope, Route, Router};

/// Problems reported per refused submission at most; the body says when there were more.
const MAX_PROBLEMS: usize = 100;

/// One thing wrong with a submission, in the shape of the problem list of our error bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub rule: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub element_path: Option<String>,
    pub message: String,
}

impl From<&Violation> for Problem {
    fn from(violation: &Violation) -> Problem {
        Problem {
            rule: violation.rule.to_owned(),
            line: Some(violation.line),
            column: Some(violation.column),
            element_path: (!violation.element_path.is_empty())
                .then(|| violation.element_path.clone()),
            message: violation.message.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not well-formed XML, or a DOCTYPE, or a limit exceeded while reading.
    Malformed(Vec<Problem>),
    /// Well-formed but not valid against the route's schema set.
    Invalid(Vec<Problem>),
    /// The sender may not submit this message type.
    Forbidden {
        root_name: String,
    },
    NoRoute(Box<Envelope>),
    /// Valid and routed, but a destination's mapping cannot map it.
    Unmappable(Vec<Problem>),
}

#[derive(Debug, Clone)]
pub struct Accepted {
    pub envelope: Envelope,
    pub route: Route,
}

pub struct Pipeline {
    validation: ValidationOptions,
    router: Router,
    schema_sets: HashMap<String, Arc<SchemaSet>>,
    mappings: Mappings,
}

/// The consumers of the one pass: envelope extraction and the streaming evaluation of every
/// mapping the route will need, fed by the validator's (or the reader's) events.
struct PassSink<'p> {
    envelope: EnvelopeCollector,
    mappings: Vec<Evaluation<'p>>,
}

impl<'p> PassSink<'p> {
    fn new(plans: &[&'p Plan]) -> PassSink<'p> {
        PassSink {
            envelope: EnvelopeCollector::default(),
            mappings: plans.iter().map(|plan| plan.evaluation()).collect(),
        }
    }

    fn start(&mut self, namespace: Option<&str>, local: &str, attributes: &[Attribute<'_>]) {
        self.envelope.start(namespace, local);
        // The mapper looks attributes up by name when a path needs one: nothing is copied.
        let attributes = ReaderAttributes(attributes);
        for evaluation in &mut self.mappings {
            evaluation.start_element(namespace, local, &attributes);
        }
    }

    fn text(&mut self, text: &str) {
        self.envelope.text(text);
        for evaluation in &mut self.mappings {
            evaluation.text(text);
        }
    }

    fn end(&mut self) {
        self.envelope.end();
        for evaluation in &mut self.mappings {
            evaluation.end_element();
        }
    }
}

impl Sink for PassSink<'_> {
    fn start_element(&mut self, element: &ElementEvent<'_>) {
        let name = element.name();
        self.start(name.namespace, name.local, element.attributes());
    }

    fn text(&mut self, text: &str) {
        PassSink::text(self, text);
    }

    fn end_element(&mut self, _element: &EndEvent<'_>) {
        self.end();
    }

    fn wants_values(&self) -> bool {
        false
    }
}

/// What one pass over a submission found.
struct PassResult<'p> {
    envelope: Envelope,
    /// Per mapping fed during the pass, in the order asked for: the fed evaluation, to be
    /// checked (accept path) or finished (tests).
    mapped: Vec<Evaluation<'p>>,
}

impl Pipeline {
    /// Compiles every schema set the configuration names; all problems are reported at once.
    pub fn compile(config: &Config) -> Result<Pipeline, Vec<ConfigProblem>> {
        let mut schema_sets = HashMap::new();
        let mut problems = Vec::new();
        for set in &config.schema_sets {
            match SchemaSet::compile(&set.entry_files, set.catalog.as_deref()) {
                Ok(compiled) => {
                    schema_sets.insert(set.name.clone(), Arc::new(compiled));
                }
                Err(errors) => problems.extend(errors.iter().map(|error| ConfigProblem {
                    location: format!("schema_set {:?}", set.name),
                    message: error.to_string(),
                })),
            }
        }
        let mappings = Mappings::compile(&config.mappings).unwrap_or_else(|mapping_problems| {
            problems.extend(mapping_problems);
            Mappings::default()
        });
        problems.extend(check_mappings(&config.routes, &schema_sets, &mappings));
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Pipeline {
            mappings,
            validation: ValidationOptions {
                limits: reader_limits(&config.limits),
                max_violations: MAX_PROBLEMS,
                ..ValidationOptions::default()
            },
            router: Router::new(config.routes.clone()),
            schema_sets,
        })
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    pub fn mappings(&self) -> &Mappings {
        &self.mappings
    }

    /// Reads the whole message once (validating it where a route names a schema set) and
    /// decides what happens to it.
    pub fn process(&self, body: &[u8], sender: &Sender) -> Result<Accepted, Refusal> {
        let (root_namespace, root_name) = self.peek_root(body)?;
        if !sender.may_submit(&root_name) {
            return Err(Refusal::Forbidden { root_name });
        }
        // The schema set is chosen by the root element, before the pass: the first route
        // that can match this root decides. Header conditions are only known after the pass;
        // if they select a route with another schema set, the message is validated again.
        let candidate = self
            .router
            .routes()
            .iter()
            .find(|route| route.matches_root(root_namespace.as_deref(), &root_name));
        let candidate_set = candidate.and_then(|route| route.schema_set.clone());
        // The candidate route's mappings are evaluated in the same pass as validation.
        let mapped_targets: Vec<(&str, &str, &Plan)> = candidate
            .map(|route| self.planned_targets(route))
            .unwrap_or_default();
        let plans: Vec<&Plan> = mapped_targets.iter().map(|(_, _, plan)| *plan).collect();
        let pass = self.pass(body, candidate_set.as_deref(), &plans)?;
        let envelope = pass.envelope;
        let Some(route) = self.router.route(&envelope, &sender.name) else {
            return Err(Refusal::NoRoute(Box::new(envelope)));
        };
        if route.schema_set != candidate_set {
            if let Some(set) = &route.schema_set {
                self.check(body, Some(set))?;
            }
        }
        // A message that a destination's mapping cannot map is refused now, while the sender
        // can still fix it, rather than dead-lettered later.
        let same_route = candidate.is_some_and(|c| c.name == route.name);
        let outcomes: Vec<(&str, &str, Result<(), MappingError>)> = if same_route {
            mapped_targets
                .iter()
                .zip(pass.mapped)
                .map(|((destination, mapping, _), evaluation)| {
                    (*destination, *mapping, evaluation.check())
                })
                .collect()
        } else {
            // Header fields chose another route: its mappings get their own pass.
            self.planned_targets(route)
                .into_iter()
                .map(|(destination, mapping, plan)| {
                    (destination, mapping, plan.map_document(body).map(drop))
                })
                .collect()
        };
        let problems: Vec<Problem> = outcomes
            .into_iter()
            .filter_map(|(destination, mapping, result)| {
                Some((destination, mapping, result.err()?))
            })
            .flat_map(|(destination, mapping, error)| {
                mapping_problems(destination, mapping, &error)
            })
            .collect();
        if !problems.is_empty() {
            return Err(Refusal::Unmappable(problems));
        }
        Ok(Accepted {
            route: route.clone(),
            envelope,
        })
    }

    /// The root element's namespace and local name: reads only up to the first start tag.
    fn peek_root(&self, body: &[u8]) -> Result<(Option<String>, String), Refusal> {
        let mut reader = Reader::from_slice(body, self.validation.limits);
        loop {
            match reader.next_event() {
                Ok(Event::Start(tag)) => {
                    let name = tag.name();
                    return Ok((name.namespace.map(str::to_owned), name.local.to_owned()));
                }
                Ok(Event::Eof) => {
                    return Err(Refusal::Malformed(vec![Problem {
                        rule: "xml-wf.no-root".into(),
                        line: None,
                        column: None,
                        element_path: None,
                        message: "the document has no root element".into(),
                    }]))
                }
                Ok(_) => {}
                Err(error) => return Err(Refusal::Malformed(vec![xml_problem(&error)])),
            }
        }
    }

    /// (destination, mapping name, plan) of the route's targets with a declarative mapping.
    fn planned_targets<'r>(&'r self, route: &'r Route) -> Vec<(&'r str, &'r str, &'r Plan)> {
        route
            .targets
            .iter()
            .filter_map(|target| {
                let mapping = target.mapping.as_deref()?;
                let plan = self.mappings.plan(mapping)?;
                Some((target.destination.as_str(), mapping, plan.as_ref()))
            })
            .collect()
    }

    /// Checks the message (against `schema_set` when given, else well-formedness and limits)
    /// and collects its envelope in the same pass.
    pub fn check(&self, body: &[u8], schema_set: Option<&str>) -> Result<Envelope, Refusal> {
        self.pass(body, schema_set, &[]).map(|pass| pass.envelope)
    }

    /// The one pass: check, envelope, and the given mappings, over the same events.
    fn pass<'p>(
        &self,
        body: &[u8],
        schema_set: Option<&str>,
        plans: &[&'p Plan],
    ) -> Result<PassResult<'p>, Refusal> {
        let mut sink = PassSink::new(plans);
        match schema_set.and_then(|name| self.schema_sets.get(name)) {
            Some(set) => {
                let outcome = set.validate_with_sink(body, &self.validation, &mut sink);
                let mut problems: Vec<Problem> =
                    outcome.violations.iter().map(Problem::from).collect();
                if outcome.truncated {
                    problems.push(Problem {
                        rule: "problems-truncated".into(),
                        line: None,
                        column: None,
                        element_path: None,
                        message: format!(
                            "more than {MAX_PROBLEMS} problems; the rest are not listed"
                        ),
                    });
                }
                if !outcome.well_formed {
                    // The XML error ends the pass and is the validator's last violation; it
                    // is the reason for the refusal, so it leads the list.
                    if let Some(xml_error) = outcome.violations.last() {
                        problems
                            .retain(|p| p.rule != xml_error.rule || p.line != Some(xml_error.line));
                        problems.insert(0, Problem::from(xml_error));
                    }
                    return Err(Refusal::Malformed(problems));
                }
                if !problems.is_empty() {
                    return Err(Refusal::Invalid(problems));
                }
            }
            None => {
                let mut reader = Reader::from_slice(body, self.validation.limits);
                loop {
                    match reader.next_event() {
                        Ok(Event::Start(tag)) => {
                            let name = tag.name();
                            sink.start(name.namespace, name.local, tag.attributes());
                        }
                        Ok(Event::End(_)) => sink.end(),
                        Ok(Event::Text(text)) => PassSink::text(&mut sink, &text),
                        Ok(Event::Eof) => break,
                        Err(error) => return Err(Refusal::Malformed(vec![xml_problem(&error)])),
                    }
                }
            }
        }
        Ok(PassResult {
            envelope: sink.envelope.finish(),
            mapped: sink.mappings,
        })
    }

    /// Checks well-formedness and limits and collects the envelope, in one pass.
    pub fn read_envelope(&self, body: &[u8]) -> Result<Envelope, Refusal> {
        self.check(body, None)
    }
}

/// Every mapping a route applies, compiled against the route's schema set: paths that can never
/// match and functions given a type they cannot take (issue 4). Routes without a schema set
/// accept any well-formed message, so there is nothing to check their mappings against.
fn check_mappings(
    routes: &[Route],
    schema_sets: &HashMap<String, Arc<SchemaSet>>,
    mappings: &Mappings,
) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    for route in routes {
        let Some(set) = route.schema_set.as_ref().and_then(|s| schema_sets.get(s)) else {
            continue;
        };
        let paths = SchemaSetPaths::new(set);
        let mut checked: Vec<&str> = Vec::new();
        for mapping in route.targets.iter().filter_map(|t| t.mapping.as_deref()) {
            // Two destinations of a route may share a mapping: report its problems once.
            if checked.contains(&mapping) {
                continue;
            }
            checked.push(mapping);
            let Some(plan) = mappings.plan(mapping) else {
                continue;
            };
            problems.extend(
                plan.check_against(&paths)
                    .into_iter()
                    .map(|problem| ConfigProblem {
                        location: format!("route {:?} mapping {:?}", route.name, mapping),
                        message: problem.to_string(),
                    }),
            );
        }
    }
    problems
}

/// Why `mapping` cannot map the message for `destination`. An output the receiver's schema
/// refuses gives one problem per violation, with the rule, line, column and element path in
/// the *output* (the message says so).
fn mapping_problems(destination: &str, mapping: &str, error: &MappingError) -> Vec<Problem> {
    let violations = error.output_violations();
    if violations.is_empty() {
        return vec![Problem {
            rule: format!("mapping.{mapping}"),
            line: None,
            column: None,
            element_path: None,
            message: format!("destination {destination}: {error}"),
        }];
    }
    violations
        .iter()
        .map(|violation| Problem {
            rule: violation.rule.to_owned(),
            line: Some(violation.line),
            column: Some(violation.column),
            element_path: (!violation.element_path.is_empty())
                .then(|| violation.element_path.clone()),
            message: format!(
                "destination {destination}: the output of mapping {mapping} is not valid against the receiver's schema (position and path are in the output): {}",
                violation.message
            ),
        })
        .collect()
}

fn xml_problem(error: &xsd_validator::reader::XmlError) -> Problem {
    Problem {
        rule: error.rule().to_owned(),
        line: Some(error.position.line),
        column: Some(error.position.column),
        element_path: (!error.element_path.is_empty()).then(|| error.element_path.clone()),
        message: error.kind.to_string(),
    }
}

fn reader_limits(limits: &Limits) -> ReaderLimits {
    ReaderLimits {
        max_depth: limits.max_nesting_depth,
        max_attributes: limits.max_attributes_per_element,
        max_text_bytes: limits.max_text_bytes,
        max_total_bytes: limits.max_body_bytes,
        ..ReaderLimits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline() -> Pipeline {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gateway.toml");
        let config = crate::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        Pipeline::compile(&config).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn the_envelope_comes_from_the_header() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ex:bauantrag.antrag.0200 xmlns:ex="urn:xoev-gateway:example:1">
  <nachrichtenkopf.g2g>
    <identifikation.nachricht>
      <nachrichtenUUID> 0b6f2c1e-3a44-4d5c-9a0e-6f1d2b3c4d5e </nachrichtenUUID>
      <nachrichtentyp listURI="urn:example:nachrichtentyp" listVersionID="1"><code>0200</code></nachrichtentyp>
    </identifikation.nachricht>
    <leser><verzeichnisdienst listVersionID="1"><code>DVDV</code></verzeichnisdienst><kennung>ags:09162000</kennung></leser>
    <autor><kennung>efa:bauportal</kennung></autor>
  </nachrichtenkopf.g2g>
  <antrag><leser><kennung>not-the-header</kennung></leser></antrag>
</ex:bauantrag.antrag.0200>"#;
        let envelope = pipeline().read_envelope(body).expect("well-formed");
        assert_eq!(
            envelope,
            Envelope {
                root_namespace: Some("urn:xoev-gateway:example:1".into()),
                root_name: "bauantrag.antrag.0200".into(),
                message_uuid: Some("0b6f2c1e-3a44-4d5c-9a0e-6f1d2b3c4d5e".into()),
                nachrichtentyp: Some("0200".into()),
                leser_kennung: Some("ags:09162000".into()),
                autor_kennung: Some("efa:bauportal".into()),
            }
        );
    }

    #[test]
    fn malformed_input_is_refused_with_its_position() {
        let refusal = pipeline()
            .read_envelope(b"<a>\n  <b></c>\n</a>")
            .expect_err("mismatched end tag");
        let Refusal::Malformed(problems) = refusal else {
            panic!("expected Malformed, got {refusal:?}");
        };
        assert_eq!(problems[0].line, Some(2));
        assert_eq!(problems[0].element_path.as_deref(), Some("/a/b"));
    }

    #[test]
    fn mappings_run_in_the_validation_pass_and_agree_with_a_separate_pass() {
        let pipeline = pipeline();
        let plan = pipeline
            .mappings()
            .plan("bausoftware-json")
            .expect("the example config has the bausoftware-json mapping");
        for fixture in ["bauantrag-minimal.xml", "bauantrag-mit-anlagen.xml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/valid")
                .join(fixture);
            let body = std::fs::read(path).expect("fixture");
            let pass = pipeline
                .pass(&body, Some("example"), &[plan.as_ref()])
                .expect("valid fixture");
            let in_pass = pass.mapped.into_iter().next().expect("one mapping");
            assert_eq!(
                in_pass.finish().expect("maps"),
                plan.map_document(&body).expect("maps")
            );
        }
    }

    #[test]
    fn a_doctype_is_refused() {
        let refusal = pipeline()
            .read_envelope(b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>")
            .expect_err("doctype");
        assert!(matches!(refusal, Refusal::Malformed(_)), "{refusal:?}");
    }
}
