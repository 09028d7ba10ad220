//! The `xs:all` engine: members in any order, each at most once. The state is
//! the set of members seen, kept as a bitset in the counter registers, so
//! there is no factorial blow-up.

use super::tree::AllGroup;
use super::{ContentModelError, LeafId, MatchState, StepError, Symbol, REGISTERS};

const BITS: usize = 32;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct AllMachine {
    optional: bool,
    /// Members in document order with whether each is required.
    members: Vec<(LeafId, bool)>,
}

fn seen(state: &MatchState, member: usize) -> bool {
    state
        .regs
        .get(member / BITS)
        .is_some_and(|r| r & (1 << (member % BITS)) != 0)
}

impl AllMachine {
    pub(super) fn build<L: Symbol>(
        group: AllGroup,
        leaves: &[L],
    ) -> Result<Self, ContentModelError> {
        if group.members.len() > BITS * REGISTERS {
            return Err(ContentModelError::TooComplex {
                reason: "too many members in an all group",
            });
        }
        // Every member is available at the start, so any overlap competes.
        for (i, &(a, _)) in group.members.iter().enumerate() {
            for &(b, _) in group.members.iter().skip(i + 1) {
                if let (Some(la), Some(lb)) = (leaves.get(a.index()), leaves.get(b.index())) {
                    if la.overlaps(lb) {
                        return Err(ContentModelError::Ambiguous {
                            first: a,
                            second: b,
                        });
                    }
                }
            }
        }
        Ok(AllMachine {
            optional: group.optional,
            members: group.members,
        })
    }

    /// See [`super::Automaton::check_structure`].
    pub(super) fn check_structure(&self, leaf_count: usize) -> Result<(), &'static str> {
        if self.members.len() > BITS * REGISTERS {
            return Err("too many members in an all group");
        }
        if self.members.iter().all(|(id, _)| id.index() < leaf_count) {
            Ok(())
        } else {
            Err("member out of range")
        }
    }

    pub(super) fn step<L: Symbol>(
        &self,
        leaves: &[L],
        state: &mut MatchState,
        input: &L::Input,
    ) -> Result<LeafId, StepError> {
        for (i, &(id, _)) in self.members.iter().enumerate() {
            if !seen(state, i) && leaves.get(id.index()).is_some_and(|l| l.matches(input)) {
                if let Some(r) = state.regs.get_mut(i / BITS) {
                    *r |= 1 << (i % BITS);
                    // Any non-START value marks "group started" for can_finish.
                    state.pos = 0;
                    return Ok(id);
                }
            }
        }
        Err(StepError::Unexpected)
    }

    pub(super) fn can_finish(&self, state: &MatchState) -> bool {
        let started = state.pos != super::START;
        (self.optional && !started)
            || self
                .members
                .iter()
                .enumerate()
                .all(|(i, &(_, required))| !required || seen(state, i))
    }

    pub(super) fn expected(&self, state: &MatchState) -> Vec<LeafId> {
        self.members
            .iter()
            .enumerate()
            .filter(|&(i, _)| !seen(state, i))
            .map(|(_, &(id, _))| id)
            .collect()
    }
}
