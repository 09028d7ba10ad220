//! Content-model leaves (element particles and wildcards) and namespace constraints.

use crate::content_model::Symbol;
use crate::schema::{NamespaceConstraint, NamespaceId, ProcessContents};

use super::names::NameId;
use super::ElementIndex;

/// What a content model is fed: the interned name of a child element (`None` when no
/// declaration in the set has that name) and its namespace ([`FOREIGN_NAMESPACE`] when the
/// schema set never mentions it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ElementInput {
    pub name: Option<NameId>,
    pub namespace: NamespaceId,
}

/// A namespace constraint of a wildcard (XSD 1.0 3.10.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum NamespaceSet {
    Any,
    /// Not this namespace and not absent.
    Not(NamespaceId),
    /// Sorted, deduplicated.
    Set(Vec<NamespaceId>),
}

impl From<&NamespaceConstraint> for NamespaceSet {
    fn from(c: &NamespaceConstraint) -> NamespaceSet {
        match c {
            NamespaceConstraint::Any => NamespaceSet::Any,
            NamespaceConstraint::Not(n) => NamespaceSet::Not(*n),
            NamespaceConstraint::Set(s) => NamespaceSet::set(s.clone()),
        }
    }
}

impl NamespaceSet {
    pub(crate) fn allows(&self, namespace: NamespaceId) -> bool {
        match self {
            NamespaceSet::Any => true,
            NamespaceSet::Not(n) => namespace != *n && namespace != NamespaceId::ABSENT,
            NamespaceSet::Set(s) => s.binary_search(&namespace).is_ok(),
        }
    }

    pub(crate) fn set(mut namespaces: Vec<NamespaceId>) -> NamespaceSet {
        namespaces.sort_unstable();
        namespaces.dedup();
        NamespaceSet::Set(namespaces)
    }

    fn overlaps(&self, other: &NamespaceSet) -> bool {
        match (self, other) {
            (NamespaceSet::Any, _) | (_, NamespaceSet::Any) => true,
            (NamespaceSet::Not(_), NamespaceSet::Not(_)) => true,
            (NamespaceSet::Not(_), NamespaceSet::Set(s))
            | (NamespaceSet::Set(s), NamespaceSet::Not(_)) => {
                s.iter().any(|&n| self.allows(n) && other.allows(n))
            }
            (NamespaceSet::Set(a), NamespaceSet::Set(_)) => a.iter().any(|&n| other.allows(n)),
        }
    }

    /// Intersection (XSD 1.0 3.10.6, Attribute Wildcard Intersection). `None` when it is
    /// not expressible (two different negations).
    pub(crate) fn intersect(&self, other: &NamespaceSet) -> Option<NamespaceSet> {
        Some(match (self, other) {
            (NamespaceSet::Any, x) | (x, NamespaceSet::Any) => x.clone(),
            (NamespaceSet::Not(a), NamespaceSet::Not(b)) => {
                if a == b {
                    NamespaceSet::Not(*a)
                } else if *a == NamespaceId::ABSENT {
                    NamespaceSet::Not(*b)
                } else if *b == NamespaceId::ABSENT {
                    NamespaceSet::Not(*a)
                } else {
                    return None;
                }
            }
            (n @ NamespaceSet::Not(_), NamespaceSet::Set(s))
            | (NamespaceSet::Set(s), n @ NamespaceSet::Not(_)) => {
                NamespaceSet::set(s.iter().copied().filter(|&x| n.allows(x)).collect())
            }
            (NamespaceSet::Set(a), NamespaceSet::Set(b)) => {
                NamespaceSet::set(a.iter().copied().filter(|x| b.contains(x)).collect())
            }
        })
    }

    /// Union (XSD 1.0 3.10.6, Attribute Wildcard Union, as amended by erratum E1-10).
    /// `None` when it is not expressible: a negation of a namespace with a set that holds
    /// absent but not that namespace (clause 5.3).
    pub(crate) fn union(&self, other: &NamespaceSet) -> Option<NamespaceSet> {
        Some(match (self, other) {
            (NamespaceSet::Any, _) | (_, NamespaceSet::Any) => NamespaceSet::Any,
            (NamespaceSet::Not(a), NamespaceSet::Not(b)) => {
                if a == b {
                    NamespaceSet::Not(*a)
                } else {
                    NamespaceSet::Not(NamespaceId::ABSENT)
                }
            }
            (NamespaceSet::Not(a), NamespaceSet::Set(s))
            | (NamespaceSet::Set(s), NamespaceSet::Not(a)) => {
                let has_a = s.contains(a);
                let has_absent = s.contains(&NamespaceId::ABSENT);
                if *a == NamespaceId::ABSENT {
                    // Clause 6: not(absent) with a set.
                    if has_absent {
                        NamespaceSet::Any
                    } else {
                        NamespaceSet::Not(NamespaceId::ABSENT)
                    }
                } else if has_a && has_absent {
                    NamespaceSet::Any
                } else if has_a {
                    NamespaceSet::Not(NamespaceId::ABSENT)
                } else if has_absent {
                    return None;
                } else {
                    NamespaceSet::Not(*a)
                }
            }
            (NamespaceSet::Set(a), NamespaceSet::Set(b)) => {
                NamespaceSet::set(a.iter().chain(b).copied().collect())
            }
        })
    }

    /// Whether every namespace allowed by `self` is allowed by `other` (wildcard subset).
    pub(crate) fn is_subset_of(&self, other: &NamespaceSet) -> bool {
        match (self, other) {
            (_, NamespaceSet::Any) => true,
            (NamespaceSet::Any, _) => false,
            (NamespaceSet::Not(a), NamespaceSet::Not(b)) => a == b || *b == NamespaceId::ABSENT,
            (NamespaceSet::Not(_), NamespaceSet::Set(_)) => false,
            (NamespaceSet::Set(s), o) => s.iter().all(|&n| o.allows(n)),
        }
    }
}

/// A compiled wildcard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct WildcardRule {
    pub namespaces: NamespaceSet,
    pub process: ProcessContents,
}

/// One name an element leaf accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct LeafName {
    pub name: NameId,
    pub namespace: NamespaceId,
    pub element: ElementIndex,
}

/// A leaf of a content model.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) enum Leaf {
    /// An element particle: the names it accepts (its own and those of the members of its
    /// substitution group that are not blocked), sorted by name, each with the declaration
    /// that then governs the child.
    Element {
        /// The particle's own declaration (named in "expected ..." messages).
        head: LeafName,
        /// Read through [`LeafNames::of`].
        names: LeafNames,
    },
    Wildcard(WildcardRule),
}

/// The names an element leaf accepts: most accept only their head, which then costs no
/// allocation (a set read from the cache has one such leaf per element particle).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum LeafNames {
    /// Only the head.
    Head,
    /// Sorted by name (and not just the head).
    List(Vec<LeafName>),
}

impl LeafNames {
    /// `names`, sorted by name and without duplicates, accepted by a leaf with `head`.
    pub(crate) fn new(head: &LeafName, names: Vec<LeafName>) -> LeafNames {
        match names.as_slice() {
            [only] if only == head => LeafNames::Head,
            _ => LeafNames::List(names),
        }
    }

    /// The names of the leaf whose head is `head`.
    pub(crate) fn of<'a>(&'a self, head: &'a LeafName) -> &'a [LeafName] {
        match self {
            LeafNames::Head => std::slice::from_ref(head),
            LeafNames::List(names) => names,
        }
    }
}

impl Leaf {
    /// The declaration governing a child of this name, for an element leaf. Inlined: the
    /// validator calls it for every child, and most leaves have one name (no search).
    #[inline]
    pub(crate) fn declaration_for(&self, name: NameId) -> Option<ElementIndex> {
        match self {
            Leaf::Element { head, names } => match names.of(head) {
                [only] => (only.name == name).then_some(only.element),
                names => names
                    .binary_search_by_key(&name, |l| l.name)
                    .ok()
                    .and_then(|i| names.get(i))
                    .map(|l| l.element),
            },
            Leaf::Wildcard(_) => None,
        }
    }
}

impl Symbol for Leaf {
    type Input = ElementInput;

    fn matches(&self, input: &ElementInput) -> bool {
        match self {
            Leaf::Element { head, names } => match input.name {
                // Most leaves accept one name: compare directly before searching.
                Some(n) => match names.of(head) {
                    [only] => only.name == n,
                    names => names.binary_search_by_key(&n, |l| l.name).is_ok(),
                },
                None => false,
            },
            Leaf::Wildcard(w) => w.namespaces.allows(input.namespace),
        }
    }

    fn overlaps(&self, other: &Leaf) -> bool {
        match (self, other) {
            (Leaf::Element { head: ha, names: a }, Leaf::Element { head: hb, names: b }) => {
                let b = b.of(hb);
                a.of(ha)
                    .iter()
                    .any(|l| b.binary_search_by_key(&l.name, |m| m.name).is_ok())
            }
            (Leaf::Element { head, names }, Leaf::Wildcard(w))
            | (Leaf::Wildcard(w), Leaf::Element { head, names }) => names
                .of(head)
                .iter()
                .any(|l| w.namespaces.allows(l.namespace)),
            (Leaf::Wildcard(a), Leaf::Wildcard(b)) => a.namespaces.overlaps(&b.namespaces),
        }
    }

    fn exact_key(&self) -> Option<u32> {
        match self {
            Leaf::Element { head, names } => match names.of(head) {
                [only] => Some(only.name.0),
                _ => None,
            },
            Leaf::Wildcard(_) => None,
        }
    }

    fn input_key(input: &ElementInput) -> Option<u32> {
        input.name.map(|n| n.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::names::FOREIGN_NAMESPACE;

    const A: NamespaceId = NamespaceId(1);
    const B: NamespaceId = NamespaceId(2);

    #[test]
    fn namespace_constraints() {
        let other_a = NamespaceSet::Not(A);
        assert!(other_a.allows(B));
        assert!(!other_a.allows(A));
        assert!(!other_a.allows(NamespaceId::ABSENT));
        assert!(other_a.allows(FOREIGN_NAMESPACE));
        let set = NamespaceSet::set(vec![B, NamespaceId::ABSENT]);
        assert_eq!(other_a.intersect(&set), Some(NamespaceSet::Set(vec![B])));
        assert_eq!(NamespaceSet::Not(A).intersect(&NamespaceSet::Not(B)), None);
        assert_eq!(
            NamespaceSet::Not(A).union(&NamespaceSet::set(vec![A])),
            Some(NamespaceSet::Not(NamespaceId::ABSENT))
        );
        // not(absent) with a set without absent stays not(absent) (W3C wildZ013d).
        assert_eq!(
            NamespaceSet::Not(NamespaceId::ABSENT).union(&NamespaceSet::set(vec![A, B])),
            Some(NamespaceSet::Not(NamespaceId::ABSENT))
        );
        assert_eq!(
            NamespaceSet::Not(NamespaceId::ABSENT)
                .union(&NamespaceSet::set(vec![NamespaceId::ABSENT])),
            Some(NamespaceSet::Any)
        );
        // ##other (of A) with {absent, B}: absent without A is not expressible (E1-10, 5.3).
        assert_eq!(
            NamespaceSet::Not(A).union(&NamespaceSet::set(vec![NamespaceId::ABSENT, B])),
            None
        );
        assert_eq!(
            NamespaceSet::Not(A).union(&NamespaceSet::set(vec![B])),
            Some(NamespaceSet::Not(A))
        );
        assert!(NamespaceSet::set(vec![B]).is_subset_of(&other_a));
        assert!(!NamespaceSet::Any.is_subset_of(&other_a));
    }
}
