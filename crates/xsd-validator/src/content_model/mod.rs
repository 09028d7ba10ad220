//! Content models: XSD 1.0 particle trees compiled to deterministic automata.
//!
//! The schema compiler hands over a [`Particle`] tree whose leaves are its own
//! element declarations and wildcards (anything implementing [`Symbol`]); this
//! module turns it into an immutable [`Automaton`] that the streaming validator
//! drives one child element at a time.
//!
//! # Design
//!
//! * **Positions with counters.** Every leaf particle is one position of a
//!   Glushkov automaton; nothing is ever copied or unrolled, so the automaton is
//!   linear in the number of leaves no matter how large `minOccurs`/`maxOccurs`
//!   are. A repeated particle whose bounds cannot be expressed by `?`, `*` or `+`
//!   gets a *counter*. Each transition records at which node of the tree it was
//!   derived, which tells it which counters it checks, increments or resets.
//!   The run state ([`MatchState`]) is the current position plus one counter
//!   per counted ancestor of that position: O(model depth), `Copy`, no heap.
//! * **Deterministic by construction.** From a position, the transitions are
//!   scanned in a fixed priority order and the first enabled one that matches
//!   wins. Compilation proves that this choice is never a guess: two different
//!   leaves that could both match one input are a Unique Particle Attribution
//!   violation (`cos-nonambig`), and two derivations reaching the *same* leaf
//!   with different counter effects are only accepted when the preferred one
//!   provably keeps every continuation open (or the two exclude each other).
//! * **Fallback.** The few models whose iteration counts the input does not
//!   determine (`(a{1,2}){3,4}`: one particle, so no UPA violation, but after
//!   three `a`s the run may be in the second or third outer iteration) are
//!   unrolled into copies and determinised by subset construction, within
//!   fixed caps.
//! * **`xs:all`** runs on its own small engine: a bitset of the members seen.
//!
//! # Contract (API boundary)
//!
//! * Leaf numbering: [`LeafId`] `n` is the `n`-th [`Term::Leaf`] in a
//!   depth-first, document-order walk of the particle tree given to
//!   [`Automaton::compile`], counting pointless ones too. Errors and
//!   [`Automaton::step`] speak in these ids; [`Automaton::leaf`] maps back.
//! * Pointless particles (`maxOccurs="0"`) are dropped; their leaves never match.
//! * An empty `xs:choice` matches nothing (not even the empty sequence) unless
//!   its particle has `minOccurs="0"`.
//! * `xs:all` (`cos-all-limited`) may only be the root term, possibly wrapped in
//!   1..1 single-member groups, with `minOccurs` 0 or 1 and `maxOccurs` 1; its
//!   members must be leaves with `maxOccurs` at most 1.
//! * A rejected [`Automaton::step`] leaves the state untouched, so the caller
//!   can ask [`Automaton::expected`] what would have been accepted.

mod all_group;
mod positions;
mod tree;
mod unrolled;

#[cfg(test)]
mod tests;

use all_group::AllMachine;
use positions::{PositionMachine, Refusal};
use unrolled::UnrolledMachine;

/// Upper bound of an occurrence range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxOccurs {
    Bounded(u32),
    Unbounded,
}

/// A particle: a term with an occurrence range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Particle<L> {
    pub min: u32,
    pub max: MaxOccurs,
    pub term: Term<L>,
}

/// The term of a particle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term<L> {
    /// An element declaration or wildcard, supplied by the schema compiler.
    Leaf(L),
    Sequence(Vec<Particle<L>>),
    Choice(Vec<Particle<L>>),
    All(Vec<Particle<L>>),
}

impl<L> Particle<L> {
    /// A particle with the given occurrence range.
    pub fn new(min: u32, max: MaxOccurs, term: Term<L>) -> Self {
        Particle { min, max, term }
    }

    /// A particle that occurs exactly once.
    pub fn once(term: Term<L>) -> Self {
        Particle::new(1, MaxOccurs::Bounded(1), term)
    }
}

/// What a leaf of a content model must provide.
pub trait Symbol {
    /// What the validator feeds in: typically an expanded element name.
    type Input: ?Sized;

    /// Whether this leaf accepts `input` (for an element declaration: its name
    /// or the name of a member of its substitution group; for a wildcard: a name
    /// whose namespace the wildcard allows).
    fn matches(&self, input: &Self::Input) -> bool;

    /// Whether some input is matched by both leaves. Used for `cos-nonambig`;
    /// must be symmetric.
    fn overlaps(&self, other: &Self) -> bool;

    /// A number that decides [`matches`](Self::matches) by equality: when `Some(k)`, the
    /// leaf matches exactly the inputs whose [`input_key`](Self::input_key) is `Some(k)`.
    /// The engine then compares integers in its transition table instead of calling
    /// `matches` (an element leaf without substitution group members: one name).
    fn exact_key(&self) -> Option<u32> {
        None
    }

    /// The key of an input, for leaves that have an [`exact_key`](Self::exact_key).
    fn input_key(input: &Self::Input) -> Option<u32> {
        let _ = input;
        None
    }
}

/// Index of a leaf particle; see the module docs for the numbering.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct LeafId(pub u32);

impl LeafId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Number of counter registers in a [`MatchState`]; also the deepest nesting of
/// counted particles a model may have. `xs:all` uses them as a bitset, which
/// caps its members at `32 * REGISTERS`.
pub const REGISTERS: usize = 8;

/// Nesting depth of particles beyond which compilation refuses a model (keeps
/// the recursive passes far from the stack limit).
pub const MAX_NESTING: usize = 256;

/// The run state of one open element: small, `Copy`, no heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchState {
    /// Current position (a leaf index), or [`START`] before the first child.
    pos: u32,
    regs: [u32; REGISTERS],
}

impl Default for MatchState {
    /// The state before the first child (the same for every automaton).
    fn default() -> Self {
        MatchState::initial()
    }
}

/// `MatchState::pos` before any child was matched.
const START: u32 = u32::MAX;

impl MatchState {
    fn initial() -> Self {
        MatchState {
            pos: START,
            regs: [0; REGISTERS],
        }
    }
}

/// A child that the content model does not allow at this point. The state is
/// unchanged; [`Automaton::expected`] tells what was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    #[error("element not expected here")]
    Unexpected,
}

/// Why a content model does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContentModelError {
    /// Two particles compete for the same element (`cos-nonambig`).
    #[error("cos-nonambig: particles #{} and #{} can both match the same element at the same point", first.0, second.0)]
    Ambiguous { first: LeafId, second: LeafId },
    /// `xs:all` used where XSD 1.0 forbids it (`cos-all-limited`).
    #[error("cos-all-limited: {reason}")]
    AllLimited { reason: &'static str },
    /// `minOccurs` greater than `maxOccurs` (`p-props-correct.2.1`).
    #[error("p-props-correct.2.1: minOccurs {min} is greater than maxOccurs {max}")]
    MinExceedsMax { min: u32, max: u32 },
    /// The model is beyond what this engine supports; `reason` says which limit.
    #[error("content model too complex: {reason}")]
    TooComplex { reason: &'static str },
}

impl ContentModelError {
    /// The XSD constraint the error violates, when there is one.
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            ContentModelError::Ambiguous { .. } => Some("cos-nonambig"),
            ContentModelError::AllLimited { .. } => Some("cos-all-limited"),
            ContentModelError::MinExceedsMax { .. } => Some("p-props-correct.2.1"),
            ContentModelError::TooComplex { .. } => None,
        }
    }
}

/// A compiled content model. Immutable; `Send + Sync` when `L` is.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Automaton<L> {
    /// Indexed by [`LeafId`].
    leaves: Vec<L>,
    engine: Engine,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Engine {
    Positions(PositionMachine),
    Unrolled(UnrolledMachine),
    All(AllMachine),
}

impl<L: Symbol> Automaton<L> {
    /// Compiles a particle tree (taken by value: the leaves move into the
    /// automaton). Checks `cos-nonambig`, `cos-all-limited` and occurrence
    /// ranges.
    pub fn compile(root: Particle<L>) -> Result<Self, ContentModelError> {
        let (leaves, shape) = tree::lower(root)?;
        let engine = match shape {
            tree::Shape::General(tree) => match PositionMachine::build(&tree, &leaves) {
                Ok(machine) => Engine::Positions(machine),
                Err(Refusal::Invalid(err)) => return Err(err),
                Err(Refusal::Uncountable) => {
                    Engine::Unrolled(UnrolledMachine::build(&tree, &leaves)?)
                }
            },
            tree::Shape::All(group) => Engine::All(AllMachine::build(group, &leaves)?),
        };
        Ok(Automaton { leaves, engine })
    }

    /// The state before the first child.
    pub fn start(&self) -> MatchState {
        MatchState::initial()
    }

    /// Feeds one child. On success returns the leaf that matched it (unique by
    /// `cos-nonambig`); on failure the state is unchanged.
    #[inline]
    pub fn step(&self, state: &mut MatchState, input: &L::Input) -> Result<LeafId, StepError> {
        match &self.engine {
            Engine::Positions(m) => m.step(&self.leaves, state, input),
            Engine::Unrolled(m) => m.step(&self.leaves, state, input),
            Engine::All(m) => m.step(&self.leaves, state, input),
        }
    }

    /// Whether the children seen so far form complete content.
    #[inline]
    pub fn can_finish(&self, state: &MatchState) -> bool {
        match &self.engine {
            Engine::Positions(m) => m.can_finish(state),
            Engine::Unrolled(m) => m.can_finish(state),
            Engine::All(m) => m.can_finish(state),
        }
    }

    /// Whether the empty sequence of children is valid.
    pub fn is_emptiable(&self) -> bool {
        self.can_finish(&self.start())
    }

    /// The leaves that would accept the next child, in document order, without
    /// duplicates. Meant for error messages; allocates.
    pub fn expected(&self, state: &MatchState) -> Vec<LeafId> {
        let mut ids = match &self.engine {
            Engine::Positions(m) => m.expected(state),
            Engine::Unrolled(m) => m.expected(state),
            Engine::All(m) => m.expected(state),
        };
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The leaf with the given id. Panics only for an id that did not come
    /// from this automaton (a caller bug, never input-dependent).
    pub fn leaf(&self, id: LeafId) -> &L {
        &self.leaves[id.index()]
    }

    /// All leaves, indexed by [`LeafId`].
    pub fn leaves(&self) -> &[L] {
        &self.leaves
    }

    /// For an automaton that was not built by [`Automaton::compile`] (read from the
    /// compiled-schema cache): whether every leaf id, state and range in its tables is in
    /// range, so that [`step`](Self::step), [`expected`](Self::expected) and
    /// [`leaf`](Self::leaf) on the ids they return cannot fail. Says what is wrong if not.
    pub(crate) fn check_structure(&self) -> Result<(), &'static str> {
        match &self.engine {
            Engine::Positions(m) => m.check_structure(&self.leaves),
            Engine::Unrolled(m) => m.check_structure(self.leaves.len()),
            Engine::All(m) => m.check_structure(self.leaves.len()),
        }
    }
}
