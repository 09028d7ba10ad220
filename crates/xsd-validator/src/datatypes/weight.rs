//! Limits on how simple types refer to one another. A value is checked by recursion through
//! base, member and item types, and a union's members, shared, can expand to exponentially
//! many checks (`union(U, U)` of `union(V, V)` ...): a simple type is weighed from the weights
//! of the types it refers to, and one beyond the limits is refused, by the compiler
//! (`xsd-limit.simple-type`) and when a cache entry is read (`cache::shared`) alike.

use std::sync::Arc;

use super::SimpleType;

/// Deepest nesting of simple types (base, item and member types) a schema set may hold,
/// compiled or read from a cache entry.
/// Real schema sets stay far below (XÖV: about 10); W3C suite sets too.
pub(crate) const MAX_SIMPLE_DEPTH: u32 = 128;
/// Most member checks the value check of one simple type may come to (union members
/// expanded, shared ones counted each time they are reached).
pub(crate) const MAX_VALUE_CHECKS: u64 = 1 << 16;

/// How deep a shared value is and how many atomic checks checking a value against it can
/// take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Weight {
    pub depth: u32,
    pub checks: u64,
}

impl Weight {
    /// A value that refers to no other (and a built-in: their chains are the crate's own).
    pub(crate) const LEAF: Weight = Weight {
        depth: 1,
        checks: 1,
    };
}

impl Weight {
    /// Whether a simple type of this weight may be used ([`MAX_SIMPLE_DEPTH`],
    /// [`MAX_VALUE_CHECKS`]); the compiler refuses heavier ones too.
    pub(crate) fn within_limits(&self) -> bool {
        self.depth <= MAX_SIMPLE_DEPTH && self.checks <= MAX_VALUE_CHECKS
    }
}

/// The weight of `simple` given the weights of the types it refers to (`of`).
pub(crate) fn simple_weight(
    simple: &SimpleType,
    of: &dyn Fn(&Arc<SimpleType>) -> Weight,
) -> Weight {
    let depth = simple
        .base()
        .into_iter()
        .chain(simple.item_type())
        .chain(simple.member_types())
        .map(|t| of(t).depth)
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    // A union tries its members in turn; a list checks each item against its item type.
    let checks = match (simple.item_type(), simple.member_types()) {
        (_, members @ [_, ..]) => members
            .iter()
            .fold(0u64, |sum, m| sum.saturating_add(of(m).checks)),
        (Some(item), []) => of(item).checks,
        (None, []) => 1,
    };
    Weight { depth, checks }
}
