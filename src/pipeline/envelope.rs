//! Envelope extraction: the routing keys of an XÖV message, read from the same event stream
//! that is checked, in the same pass. Only `nachrichtenkopf.g2g` as a child of the root is
//! looked at; its fields are matched by local name, since XÖV standards qualify it differently.

use crate::routing::Envelope;

/// Header fields longer than this are not identifiers: they are cut, never buffered whole.
const MAX_FIELD_CHARS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    MessageUuid,
    Nachrichtentyp,
    LeserKennung,
    AutorKennung,
}

/// Collects the envelope from start/text/end callbacks. Memory is bounded: a fixed-depth path
/// inside the header and at most one field value at a time.
#[derive(Debug, Default)]
pub struct EnvelopeCollector {
    envelope: Envelope,
    depth: usize,
    /// Local names from the header element down, while inside the header.
    header_path: Vec<&'static str>,
    in_header: bool,
    /// Depth of an element inside the header that is none of ours: skipped whole.
    foreign_depth: usize,
    current: Option<Field>,
    text: String,
}

const HEADER: &str = "nachrichtenkopf.g2g";

/// The header paths we know, as local names below `nachrichtenkopf.g2g`.
fn known_step(path: &[&'static str], local: &str) -> Option<&'static str> {
    const STEPS: &[&[&str]] = &[
        &["identifikation.nachricht"],
        &["identifikation.nachricht", "nachrichtenUUID"],
        &["identifikation.nachricht", "nachrichtentyp"],
        &["identifikation.nachricht", "nachrichtentyp", "code"],
        &["leser"],
        &["leser", "kennung"],
        &["autor"],
        &["autor", "kennung"],
    ];
    STEPS.iter().find_map(|steps| {
        let (last, prefix) = steps.split_last()?;
        (prefix == path && *last == local).then_some(*last)
    })
}

fn field_of(path: &[&'static str]) -> Option<Field> {
    match path {
        ["identifikation.nachricht", "nachrichtenUUID"] => Some(Field::MessageUuid),
        ["identifikation.nachricht", "nachrichtentyp", "code"] => Some(Field::Nachrichtentyp),
        ["leser", "kennung"] => Some(Field::LeserKennung),
        ["autor", "kennung"] => Some(Field::AutorKennung),
        _ => None,
    }
}

impl EnvelopeCollector {
    pub fn start(&mut self, namespace: Option<&str>, local: &str) {
        self.depth += 1;
        if self.depth == 1 {
            self.envelope.root_namespace = namespace.map(str::to_owned);
            self.envelope.root_name = local.to_owned();
            return;
        }
        if self.foreign_depth > 0 {
            self.foreign_depth += 1;
            return;
        }
        if self.depth == 2 && local == HEADER {
            self.in_header = true;
            return;
        }
        if !self.in_header {
            return;
        }
        match known_step(&self.header_path, local) {
            Some(step) => {
                self.header_path.push(step);
                self.current = field_of(&self.header_path);
                self.text.clear();
            }
            None => self.foreign_depth = 1,
        }
    }

    pub fn text(&mut self, text: &str) {
        if self.current.is_some() && self.foreign_depth == 0 {
            let room = MAX_FIELD_CHARS.saturating_sub(self.text.chars().count());
            self.text.extend(text.chars().take(room));
        }
    }

    pub fn end(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        if self.foreign_depth > 0 {
            self.foreign_depth -= 1;
            return;
        }
        if !self.in_header {
            return;
        }
        if self.depth == 1 {
            self.in_header = false;
            return;
        }
        if let Some(field) = self.current.take() {
            let value = self.text.trim();
            let value = (!value.is_empty()).then(|| value.to_owned());
            let slot = match field {
                Field::MessageUuid => &mut self.envelope.message_uuid,
                Field::Nachrichtentyp => &mut self.envelope.nachrichtentyp,
                Field::LeserKennung => &mut self.envelope.leser_kennung,
                Field::AutorKennung => &mut self.envelope.autor_kennung,
            };
            // The first occurrence wins; the schema decides whether a second one is allowed.
            if slot.is_none() {
                *slot = value;
            }
        }
        self.header_path.pop();
    }

    pub fn finish(self) -> Envelope {
        self.envelope
    }
}
