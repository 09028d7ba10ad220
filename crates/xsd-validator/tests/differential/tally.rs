//! Counts per standard and per mutation kind, and the disagreements found.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::mutation::Kind;

#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub cases: usize,
    /// Agreements where both said valid.
    pub both_valid: usize,
    /// Agreements where both said invalid.
    pub both_invalid: usize,
    pub disagreements: usize,
}

impl Counts {
    fn add(&mut self, ours: bool, theirs: bool) {
        self.cases += 1;
        match (ours, theirs) {
            (true, true) => self.both_valid += 1,
            (false, false) => self.both_invalid += 1,
            _ => self.disagreements += 1,
        }
    }
}

/// One case on which the two validators differ.
#[derive(Debug, Clone)]
pub struct Disagreement {
    pub id: String,
    pub note: String,
    pub ours: String,
    pub xmllint: String,
    /// The mutant, kept for reproduction.
    pub file: String,
}

#[derive(Debug, Default)]
pub struct Tally {
    pub by_standard: BTreeMap<&'static str, Counts>,
    pub by_kind: BTreeMap<Kind, Counts>,
    pub disagreements: Vec<Disagreement>,
    /// Ids of every case that ran (for the known-failures ratchet).
    pub ran: Vec<String>,
    /// Things that stop a verdict: schemas that do not compile, xmllint timeouts, no verdict.
    pub problems: Vec<String>,
    /// Roots for which no instance could be generated (the sample module's own tests judge these).
    pub not_generated: Vec<String>,
    /// Generated instances both validators reject (reported to the sample module's owner).
    pub invalid_originals: Vec<String>,
    pub xmllint_internal_errors: usize,
}

impl Tally {
    pub fn record(
        &mut self,
        standard: &'static str,
        kind: Kind,
        id: &str,
        ours: bool,
        theirs: bool,
    ) {
        self.by_standard
            .entry(standard)
            .or_default()
            .add(ours, theirs);
        self.by_kind.entry(kind).or_default().add(ours, theirs);
        self.ran.push(id.to_owned());
    }

    pub fn total(&self) -> Counts {
        let mut total = Counts::default();
        for c in self.by_standard.values() {
            total.cases += c.cases;
            total.both_valid += c.both_valid;
            total.both_invalid += c.both_invalid;
            total.disagreements += c.disagreements;
        }
        total
    }

    pub fn summary(&self) -> String {
        let mut out = String::new();
        let row = |out: &mut String, name: &str, c: &Counts| {
            let _ = writeln!(
                out,
                "  {name:<18} {:>6} cases {:>6} both valid {:>6} both invalid {:>4} disagree",
                c.cases, c.both_valid, c.both_invalid, c.disagreements
            );
        };
        out.push_str("per standard:\n");
        for (name, c) in &self.by_standard {
            row(&mut out, name, c);
        }
        out.push_str("per mutation kind:\n");
        for (kind, c) in &self.by_kind {
            row(&mut out, kind.name(), c);
        }
        row(&mut out, "total", &self.total());
        let _ = writeln!(
            out,
            "xmllint internal errors (counted as invalid): {}; roots without a generated instance: {}",
            self.xmllint_internal_errors,
            self.not_generated.len()
        );
        out
    }
}
