//! Node tables of key/unique constraints (Structures §3.11.5, "identity-constraint table")
//! and how they move from an element to its parent, so that a keyref finds keys declared on
//! its own element or on descendants.
//!
//! Conflicts follow libxml2 (`xmlSchemaIDCFillNodeTables`, `xmlSchemaBubbleIDCNodeTables`),
//! the reference for verdicts: when two different nodes bring the same key-sequence into
//! one table, neither stays and the key-sequence is remembered as conflicting, so later
//! rows with it are dropped too; a keyref that matches only a conflicting key-sequence is
//! an error. A child's conflicts move up only when the parent had no table yet (libxml2
//! moves the whole table then). Unlike libxml2, the same node arriving twice (a key
//! declared on nested elements of a recursive type) is not a conflict, as the spec says.

use std::collections::{HashMap, HashSet};

use crate::datatypes::Value;

/// A key-sequence: one value per field.
pub(crate) type KeySeq = Box<[Value]>;

/// The node table of one key/unique constraint at one element.
#[derive(Debug)]
pub(crate) struct Binding {
    /// Index of the key/unique constraint.
    pub constraint: usize,
    /// Key-sequence to the element (its serial number) that owns it.
    nodes: HashMap<KeySeq, u64>,
    conflicts: HashSet<KeySeq>,
}

/// What a table says about a key-sequence a keyref looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found,
    /// Only conflicting rows had it, so none stayed.
    Ambiguous,
    Missing,
}

impl Binding {
    pub(crate) fn new(constraint: usize) -> Binding {
        Binding {
            constraint,
            nodes: HashMap::new(),
            conflicts: HashSet::new(),
        }
    }

    /// Adds one row, dropping it and any row it conflicts with.
    pub(crate) fn add(&mut self, key: KeySeq, node: u64) {
        if self.conflicts.contains(&key) {
            return;
        }
        match self.nodes.get(&key) {
            Some(&owner) if owner == node => {}
            Some(_) => {
                self.nodes.remove(&key);
                self.conflicts.insert(key);
            }
            None => {
                self.nodes.insert(key, node);
            }
        }
    }

    /// Merges a child's table into this (the parent's existing) table; the child's own
    /// conflicts are not carried over, as in libxml2.
    pub(crate) fn absorb(&mut self, child: Binding) {
        for (key, node) in child.nodes {
            self.add(key, node);
        }
    }

    pub(crate) fn lookup(&self, key: &[Value]) -> Lookup {
        if self.nodes.contains_key(key) {
            Lookup::Found
        } else if self.conflicts.contains(key) {
            Lookup::Ambiguous
        } else {
            Lookup::Missing
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> KeySeq {
        vec![Value::String(s.into())].into_boxed_slice()
    }

    #[test]
    fn conflicts_drop_all_rows_with_the_key() {
        let mut b = Binding::new(0);
        b.add(key("a"), 1);
        b.add(key("b"), 2);
        b.add(key("a"), 3);
        assert_eq!(b.lookup(&key("a")), Lookup::Ambiguous);
        b.add(key("a"), 4);
        assert_eq!(b.lookup(&key("a")), Lookup::Ambiguous);
        assert_eq!(b.lookup(&key("b")), Lookup::Found);
        assert_eq!(b.lookup(&key("c")), Lookup::Missing);
        // The same node twice is one row.
        b.add(key("b"), 2);
        assert_eq!(b.lookup(&key("b")), Lookup::Found);
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn absorb_keeps_parent_conflicts_but_not_the_childs() {
        let mut parent = Binding::new(0);
        parent.add(key("x"), 1);
        parent.add(key("x"), 2);
        let mut child = Binding::new(0);
        child.add(key("x"), 3);
        child.add(key("y"), 4);
        child.add(key("y"), 5);
        child.add(key("z"), 6);
        parent.absorb(child);
        assert_eq!(parent.lookup(&key("x")), Lookup::Ambiguous);
        assert_eq!(parent.lookup(&key("y")), Lookup::Missing);
        assert_eq!(parent.lookup(&key("z")), Lookup::Found);
    }
}
