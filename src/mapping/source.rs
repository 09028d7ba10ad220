//! Feeding a whole document to [`MappingEvents`] with the workspace's well-formedness-checking
//! reader. Used until the validator's `Sink` feeds evaluations in the validation pass, and by
//! the golden runner and the CLI.

use xsd_validator::reader::{Event, Limits, Reader};

use super::evaluation::{MappingEvents, ReaderAttributes};
use super::plan::Plan;
use super::MappingError;

/// Reads `xml` and reports its events to `events`; stops at the first reader error.
pub fn feed(
    xml: &[u8],
    limits: Limits,
    events: &mut dyn MappingEvents,
) -> Result<(), MappingError> {
    let mut reader = Reader::from_slice(xml, limits);
    loop {
        let event = reader.next_event().map_err(|e| MappingError::Source {
            rule: e.rule(),
            message: e.to_string(),
        })?;
        match event {
            Event::Start(tag) => {
                let name = tag.name();
                events.start_element(
                    name.namespace,
                    name.local,
                    &ReaderAttributes(tag.attributes()),
                );
            }
            Event::Text(text) => events.text(&text),
            Event::End(_) => events.end_element(),
            Event::Eof => return Ok(()),
        }
    }
}

impl Plan {
    /// Maps a complete document: read, evaluate in one pass, write.
    pub fn map_document(&self, xml: &[u8]) -> Result<Vec<u8>, MappingError> {
        let mut evaluation = self.evaluation();
        feed(xml, Limits::default(), &mut evaluation)?;
        evaluation.finish()
    }
}
