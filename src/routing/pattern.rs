//! Glob patterns for message names and header values: `*` matches any run of characters
//! (including none), everything else matches literally. XÖV names contain dots
//! (`baugenehmigung.antrag.0200`), so `*.antrag.*` is the natural way to say "every Antrag".

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct NamePattern {
    source: String,
    /// The literal pieces between the stars.
    pieces: Vec<String>,
    anchored_start: bool,
    anchored_end: bool,
}

impl NamePattern {
    pub fn new(source: &str) -> NamePattern {
        let pieces: Vec<String> = source.split('*').map(str::to_owned).collect();
        NamePattern {
            source: source.to_owned(),
            anchored_start: !source.starts_with('*'),
            anchored_end: !source.ends_with('*'),
            pieces: pieces.into_iter().filter(|p| !p.is_empty()).collect(),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn matches(&self, candidate: &str) -> bool {
        if !self.source.contains('*') {
            return self.source == candidate;
        }
        let mut rest = candidate;
        let last = self.pieces.len().saturating_sub(1);
        for (index, piece) in self.pieces.iter().enumerate() {
            if index == 0 && self.anchored_start {
                match rest.strip_prefix(piece.as_str()) {
                    Some(after) => rest = after,
                    None => return false,
                }
            } else if index == last && self.anchored_end {
                return rest.ends_with(piece.as_str());
            } else {
                match rest.find(piece.as_str()) {
                    Some(at) => rest = &rest[at + piece.len()..],
                    None => return false,
                }
            }
        }
        // Every piece matched; an end anchor with no trailing piece needs nothing left.
        !self.anchored_end || rest.is_empty() || self.pieces.is_empty()
    }
}

impl fmt::Debug for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NamePattern({:?})", self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::NamePattern;

    fn m(pattern: &str, candidate: &str) -> bool {
        NamePattern::new(pattern).matches(candidate)
    }

    #[test]
    fn literal_patterns_match_exactly() {
        assert!(m(
            "baugenehmigung.antrag.0200",
            "baugenehmigung.antrag.0200"
        ));
        assert!(!m(
            "baugenehmigung.antrag.0200",
            "baugenehmigung.antrag.02000"
        ));
        assert!(!m("a", ""));
    }

    #[test]
    fn stars_match_any_run() {
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("*.antrag.*", "baugenehmigung.antrag.0200"));
        assert!(!m("*.antrag.*", "baugenehmigung.bescheid.0201"));
        assert!(m("baugenehmigung.*", "baugenehmigung.antrag.0200"));
        assert!(!m("baugenehmigung.*", "xbau.baugenehmigung.antrag"));
        assert!(m("*.0200", "baugenehmigung.antrag.0200"));
        assert!(!m("*.0200", "baugenehmigung.antrag.0201"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(!m("a*a", "a"));
        assert!(m("a**a", "aa"));
    }
}
