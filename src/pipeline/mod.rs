//! The pipeline: one pass over a submission's bytes that checks it (well-formedness and limits,
//! and schema validity where the route names a schema set), extracts the envelope, and decides
//! the route. Synchronous and free of I/O, so the ingress runs it on a blocking thread.
//!
//! **Architecture Invariant:** nothing is stored before the pipeline has accepted the bytes.

mod envelope;

pub use envelope::EnvelopeCollector;

use serde::Serialize;
use xsd_validator::reader::{Event, Limits as ReaderLimits, Reader};

use crate::config::{Config, Limits, Sender};
use crate::routing::{Envelope, Route, Router};

/// One thing wrong with a submission, in the shape of the problem list of our error bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub rule: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub element_path: Option<String>,
    pub message: String,
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
}

#[derive(Debug, Clone)]
pub struct Accepted {
    pub envelope: Envelope,
    pub route: Route,
}

pub struct Pipeline {
    reader_limits: ReaderLimits,
    router: Router,
}

impl Pipeline {
    pub fn new(config: &Config) -> Pipeline {
        Pipeline {
            reader_limits: reader_limits(&config.limits),
            router: Router::new(config.routes.clone()),
        }
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Reads the whole message once and decides what happens to it.
    pub fn process(&self, body: &[u8], sender: &Sender) -> Result<Accepted, Refusal> {
        let envelope = self.read_envelope(body)?;
        if !sender.may_submit(&envelope.root_name) {
            return Err(Refusal::Forbidden {
                root_name: envelope.root_name,
            });
        }
        match self.router.route(&envelope, &sender.name) {
            Some(route) => Ok(Accepted {
                route: route.clone(),
                envelope,
            }),
            None => Err(Refusal::NoRoute(Box::new(envelope))),
        }
    }

    /// Checks well-formedness and limits and collects the envelope, in one pass.
    pub fn read_envelope(&self, body: &[u8]) -> Result<Envelope, Refusal> {
        let mut reader = Reader::from_slice(body, self.reader_limits);
        let mut collector = EnvelopeCollector::default();
        loop {
            match reader.next_event() {
                Ok(Event::Start(tag)) => {
                    let name = tag.name();
                    collector.start(name.namespace, name.local);
                }
                Ok(Event::End(_)) => collector.end(),
                Ok(Event::Text(text)) => collector.text(&text),
                Ok(Event::Eof) => return Ok(collector.finish()),
                Err(error) => {
                    return Err(Refusal::Malformed(vec![Problem {
                        rule: error.rule().to_owned(),
                        line: Some(error.position.line),
                        column: Some(error.position.column),
                        element_path: (!error.element_path.is_empty())
                            .then(|| error.element_path.clone()),
                        message: error.kind.to_string(),
                    }]))
                }
            }
        }
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
        Pipeline::new(&config)
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
    fn a_doctype_is_refused() {
        let refusal = pipeline()
            .read_envelope(b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>")
            .expect_err("doctype");
        assert!(matches!(refusal, Refusal::Malformed(_)), "{refusal:?}");
    }
}
