//! Mappings: how a message is turned into what a destination receives. Pure: no I/O.
//!
//! Only the `identity` kind exists so far (the original bytes as `application/xml`); the
//! declarative streaming mapper plugs in behind [`Mappings::render`] without changing callers.

use std::borrow::Cow;

use crate::config::{MappingConfig, MappingKind};

#[derive(Debug, Clone, Default)]
pub struct Mappings {
    mappings: Vec<MappingConfig>,
}

/// A rendered payload and its media type.
#[derive(Debug)]
pub struct Rendered<'a> {
    pub body: Cow<'a, [u8]>,
    pub content_type: &'static str,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MappingError {
    #[error("mapping {0:?} is not configured")]
    Unknown(String),
}

impl Mappings {
    pub fn new(mappings: Vec<MappingConfig>) -> Mappings {
        Mappings { mappings }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.mappings.iter().any(|m| m.name == name)
    }

    /// Renders `payload` for a destination; `None` means the original message.
    pub fn render<'a>(
        &self,
        mapping: Option<&str>,
        payload: &'a [u8],
    ) -> Result<Rendered<'a>, MappingError> {
        let kind = match mapping {
            None => MappingKind::Identity,
            Some(name) => {
                self.mappings
                    .iter()
                    .find(|m| m.name == name)
                    .ok_or_else(|| MappingError::Unknown(name.to_owned()))?
                    .kind
            }
        };
        match kind {
            MappingKind::Identity => Ok(Rendered {
                body: Cow::Borrowed(payload),
                content_type: "application/xml",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_passes_the_original_bytes() {
        let mappings = Mappings::new(vec![MappingConfig {
            name: "plain".into(),
            kind: MappingKind::Identity,
        }]);
        let rendered = mappings.render(Some("plain"), b"<a/>").expect("render");
        assert_eq!(&rendered.body[..], b"<a/>");
        assert_eq!(rendered.content_type, "application/xml");
        assert_eq!(
            mappings.render(Some("missing"), b"<a/>").err(),
            Some(MappingError::Unknown("missing".into()))
        );
    }
}
