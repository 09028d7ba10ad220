//! Code-list translation tables, inline or loaded from genericode when the mapping compiles.

use std::collections::HashMap;

/// What a lookup does with a code the table does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnUnknown {
    /// The mapping fails: an unknown code is usually a newer list version than the mapping
    /// knows, which an operator should see rather than a silently wrong payload.
    Error,
    /// The code passes through untranslated.
    Keep,
    /// The result is missing (so a `default` or `required` applies).
    Empty,
}

impl OnUnknown {
    pub fn parse(text: &str) -> Option<OnUnknown> {
        match text {
            "error" => Some(OnUnknown::Error),
            "keep" => Some(OnUnknown::Keep),
            "empty" => Some(OnUnknown::Empty),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeList {
    /// The name in `[codelists]`, or `field <path>` for an inline one.
    pub name: String,
    pub entries: HashMap<String, String>,
    pub on_unknown: OnUnknown,
}

/// A code that is not in its list (with `on_unknown = "error"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    pub list: String,
    pub code: String,
}

/// Codes are short identifiers, but the value may come from any element: keep messages short.
const MAX_CODE_IN_MESSAGE: usize = 64;

impl CodeList {
    /// Translates `code` (surrounding whitespace ignored, as codes are tokens).
    pub fn translate(&self, code: &str) -> Result<Option<String>, UnknownCode> {
        let key = code.trim();
        match self.entries.get(key) {
            Some(value) => Ok(Some(value.clone())),
            None => match self.on_unknown {
                OnUnknown::Keep => Ok(Some(key.to_owned())),
                OnUnknown::Empty => Ok(None),
                OnUnknown::Error => Err(UnknownCode {
                    list: self.name.clone(),
                    code: key.chars().take(MAX_CODE_IN_MESSAGE).collect(),
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(on_unknown: OnUnknown) -> CodeList {
        CodeList {
            name: "art".into(),
            entries: [("neubau".to_owned(), "NEW".to_owned())].into(),
            on_unknown,
        }
    }

    #[test]
    fn translates_and_applies_the_unknown_policy() {
        assert_eq!(
            list(OnUnknown::Error).translate(" neubau\n"),
            Ok(Some("NEW".into()))
        );
        assert_eq!(
            list(OnUnknown::Error).translate("abriss"),
            Err(UnknownCode {
                list: "art".into(),
                code: "abriss".into()
            })
        );
        assert_eq!(
            list(OnUnknown::Keep).translate("abriss"),
            Ok(Some("abriss".into()))
        );
        assert_eq!(list(OnUnknown::Empty).translate("abriss"), Ok(None));
        assert_eq!(OnUnknown::parse("keep"), Some(OnUnknown::Keep));
        assert_eq!(OnUnknown::parse("ignore"), None);
    }
}
