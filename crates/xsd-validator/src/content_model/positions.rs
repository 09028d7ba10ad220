//! The general engine: a Glushkov (position) automaton with counters.
//!
//! Positions are the leaves. A follow pair `(x, y)` is derived at a tree node
//! `N`: at a sequence (`x` ends one member, `y` starts a later one, everything
//! between is emptiable) or at a repetition (`x` ends the body, `y` starts the
//! next iteration). Where it is derived fixes its counter effect:
//!
//! * counted repetitions strictly below `N` on `x`'s side are *exited*: each
//!   needs its counter at least at its effective minimum;
//! * if `N` is a counted repetition, this is a *restart*: its counter must be
//!   below the maximum and is incremented;
//! * counted repetitions strictly below `N` on `y`'s side are *entered*: their
//!   counters start at 1.
//!
//! Counters live in slots: a counted repetition's slot is the number of counted
//! repetitions above it, so the counters of `x`'s and `y`'s common ancestors
//! sit in the same slots and a transition is described by `keep` (the number of
//! slots it leaves alone, `= cdepth(N)`) and `restart`.
//!
//! **Architecture invariant:** from any reachable configuration, among the
//! transitions of the current position, the first enabled one that matches the
//! input is the only sensible choice. Compilation enforces it: different target
//! leaves that overlap and can be enabled together are a `cos-nonambig` error;
//! several derivations of the same pair are ordered so that the first one
//! dominates (see [`dominates`]) or the two can never be enabled together.

use super::tree::{Node, Tree};
use super::{ContentModelError, LeafId, MatchState, StepError, Symbol, REGISTERS, START};

/// A counted repetition as seen from a position below it.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Counter {
    /// Effective minimum: 0 when the body is emptiable (empty iterations can
    /// make up any minimum), otherwise `minOccurs`.
    min: u32,
    /// `None`: unbounded; the counter then saturates at `min`.
    max: Option<u32>,
}

impl Counter {
    /// Largest value the counter can hold.
    fn ceiling(self) -> u32 {
        self.max.unwrap_or(self.min.max(1))
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
struct Transition {
    target: u32,
    /// Slots below this index are kept (one is incremented on a restart);
    /// slots from here on are exited on the source side and entered on the
    /// target side.
    keep: u8,
    /// Whether the counter in slot `keep - 1` is restarted (checked, incremented).
    restart: bool,
    /// The target leaf's [`Symbol::exact_key`], or [`NO_KEY`]: filled in once the table is
    /// built, so that a step compares it with the input's key without touching the leaf.
    key: u32,
}

/// `Transition::key` of a target leaf that has no exact key (`matches` decides).
const NO_KEY: u32 = u32::MAX;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Position {
    /// Range into `PositionMachine::transitions`.
    transitions: (u32, u32),
    /// Range into `PositionMachine::counters`: counted ancestors, outermost first.
    counters: (u32, u32),
    /// Whether the content may end after this position (counters permitting).
    last: bool,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct PositionMachine {
    start: Vec<Transition>,
    start_accepts: bool,
    /// Indexed by leaf index; pointless leaves have empty entries.
    positions: Vec<Position>,
    transitions: Vec<Transition>,
    counters: Vec<Counter>,
}

/// Per-node facts of the Glushkov construction.
struct Facts {
    nullable: Vec<bool>,
    first: Vec<Vec<u32>>,
    last: Vec<Vec<u32>>,
    parent: Vec<Option<usize>>,
    /// Counted repetitions among the node and its ancestors.
    cdepth: Vec<u8>,
    counted: Vec<Option<Counter>>,
}

/// Why the counter engine does not take a model.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The model is wrong.
    Invalid(ContentModelError),
    /// Counters cannot follow it: too deeply nested counted particles, or an
    /// iteration count that the input does not determine.
    Uncountable,
}

impl From<ContentModelError> for Refusal {
    fn from(err: ContentModelError) -> Self {
        Refusal::Invalid(err)
    }
}

fn facts(tree: &Tree) -> Result<Facts, Refusal> {
    let n = tree.nodes.len();
    let mut f = Facts {
        nullable: vec![false; n],
        first: vec![Vec::new(); n],
        last: vec![Vec::new(); n],
        parent: vec![None; n],
        cdepth: vec![0; n],
        counted: vec![None; n],
    };
    // Children precede parents, so one forward pass is bottom-up.
    for (i, node) in tree.nodes.iter().enumerate() {
        match node {
            Node::Leaf(id) => {
                f.first[i] = vec![id.0];
                f.last[i] = vec![id.0];
            }
            Node::Empty => f.nullable[i] = true,
            Node::Fail => {}
            Node::Choice(kids) => {
                for &k in kids {
                    f.parent[k] = Some(i);
                    f.nullable[i] |= f.nullable[k];
                    let (first, last) = (f.first[k].clone(), f.last[k].clone());
                    f.first[i].extend(first);
                    f.last[i].extend(last);
                }
            }
            Node::Seq(kids) => {
                let mut first = Vec::new();
                let mut prefix_nullable = true;
                for &k in kids {
                    f.parent[k] = Some(i);
                    if prefix_nullable {
                        first.extend_from_slice(&f.first[k]);
                    }
                    prefix_nullable &= f.nullable[k];
                }
                let mut last = Vec::new();
                for &k in kids.iter().rev() {
                    last.extend_from_slice(&f.last[k]);
                    if !f.nullable[k] {
                        break;
                    }
                }
                f.nullable[i] = prefix_nullable;
                f.first[i] = first;
                f.last[i] = last;
            }
            Node::Repeat { body, min, max } => {
                let body = *body;
                f.parent[body] = Some(i);
                let min = if f.nullable[body] { 0 } else { *min };
                f.nullable[i] = min == 0;
                f.first[i] = f.first[body].clone();
                f.last[i] = f.last[body].clone();
                let needs_counter = match max {
                    Some(max) => *max > 1,
                    None => min > 1,
                };
                if needs_counter {
                    f.counted[i] = Some(Counter { min, max: *max });
                }
            }
        }
    }
    // Top-down: parents have larger indices.
    for i in (0..n).rev() {
        let above = f.parent[i].map_or(0, |p| f.cdepth[p]);
        let own = u8::from(f.counted[i].is_some());
        let depth = above.saturating_add(own);
        if usize::from(depth) > REGISTERS {
            return Err(Refusal::Uncountable);
        }
        f.cdepth[i] = depth;
    }
    Ok(f)
}

impl PositionMachine {
    /// Builds the engine, or says that the model needs the unrolled engine.
    pub(super) fn build<L: Symbol>(tree: &Tree, leaves: &[L]) -> Result<Self, Refusal> {
        let f = facts(tree)?;
        let leaf_count = leaves.len();
        let mut leaf_node = vec![None; leaf_count];
        for (i, node) in tree.nodes.iter().enumerate() {
            if let Node::Leaf(id) = node {
                if let Some(slot) = leaf_node.get_mut(id.index()) {
                    *slot = Some(i);
                }
            }
        }

        // Counted ancestors per position, outermost first.
        let mut positions: Vec<Position> = (0..leaf_count).map(|_| Position::default()).collect();
        let mut counters = Vec::new();
        for (leaf, node) in leaf_node.iter().enumerate() {
            let Some(mut node) = *node else { continue };
            let begin = counters.len();
            loop {
                if let Some(c) = f.counted[node] {
                    counters.push(c);
                }
                match f.parent[node] {
                    Some(p) => node = p,
                    None => break,
                }
            }
            counters[begin..].reverse();
            positions[leaf].counters = (index32(begin), index32(counters.len()));
        }
        for &x in &f.last[tree.root] {
            if let Some(p) = positions.get_mut(x as usize) {
                p.last = true;
            }
        }

        // Follow pairs with their derivation.
        let mut follow: Vec<Vec<Transition>> = vec![Vec::new(); leaf_count];
        for (i, node) in tree.nodes.iter().enumerate() {
            match node {
                Node::Seq(kids) => {
                    for (a, &ka) in kids.iter().enumerate() {
                        for &kb in kids.iter().skip(a + 1) {
                            add_pairs(&mut follow, &f.last[ka], &f.first[kb], f.cdepth[i], false);
                            if !f.nullable[kb] {
                                break;
                            }
                        }
                    }
                }
                Node::Repeat { body, max, .. } if *max != Some(1) => {
                    let restart = f.counted[i].is_some();
                    add_pairs(
                        &mut follow,
                        &f.last[*body],
                        &f.first[*body],
                        f.cdepth[i],
                        restart,
                    );
                }
                _ => {}
            }
        }

        let mut transitions = Vec::new();
        for (x, list) in follow.iter_mut().enumerate() {
            // Same target together; within it the deepest, non-restarting
            // derivation first: it changes the fewest counters.
            list.sort_unstable_by(|a, b| {
                (a.target, std::cmp::Reverse(a.keep), a.restart).cmp(&(
                    b.target,
                    std::cmp::Reverse(b.keep),
                    b.restart,
                ))
            });
            list.dedup();
            let chain = chain_of(&positions, &counters, x);
            for group in list.chunk_by(|a, b| a.target == b.target) {
                for (i, a) in group.iter().enumerate() {
                    for b in group.iter().skip(i + 1) {
                        if !dominates(chain, *a, *b) && jointly_enabled(chain, *a, *b) {
                            return Err(Refusal::Uncountable);
                        }
                    }
                }
            }
            let begin = transitions.len();
            transitions.extend_from_slice(list);
            positions[x].transitions = (index32(begin), index32(transitions.len()));
        }

        let mut start: Vec<Transition> = f.first[tree.root]
            .iter()
            .map(|&y| Transition {
                target: y,
                keep: 0,
                restart: false,
                key: NO_KEY,
            })
            .collect();
        start.sort_unstable();
        start.dedup();

        // Keys last: they follow from the target, so sorting and deduplicating above are
        // unaffected. A key equal to NO_KEY is not usable as one.
        let key_of = |t: &mut Transition| {
            t.key = leaves
                .get(t.target as usize)
                .and_then(Symbol::exact_key)
                .filter(|&k| k != NO_KEY)
                .unwrap_or(NO_KEY);
        };
        start.iter_mut().for_each(key_of);
        transitions.iter_mut().for_each(key_of);

        let machine = PositionMachine {
            start,
            start_accepts: f.nullable[tree.root],
            positions,
            transitions,
            counters,
        };
        machine.check_unique_attribution(leaves)?;
        Ok(machine)
    }

    #[inline]
    fn transitions_of(&self, pos: u32) -> &[Transition] {
        if pos == START {
            return &self.start;
        }
        self.positions
            .get(pos as usize)
            .and_then(|p| {
                self.transitions
                    .get(p.transitions.0 as usize..p.transitions.1 as usize)
            })
            .unwrap_or(&[])
    }

    #[inline]
    fn chain(&self, pos: u32) -> &[Counter] {
        if pos == START {
            return &[];
        }
        chain_of(&self.positions, &self.counters, pos as usize)
    }

    /// `cos-nonambig`: from every reachable position, no two transitions to
    /// different, overlapping leaves may be enabled together.
    fn check_unique_attribution<L: Symbol>(&self, leaves: &[L]) -> Result<(), ContentModelError> {
        // Overlap lists, computed once: usually empty for element leaves.
        let live: Vec<u32> = {
            let mut seen = vec![false; leaves.len()];
            for t in self.start.iter().chain(&self.transitions) {
                if let Some(s) = seen.get_mut(t.target as usize) {
                    *s = true;
                }
            }
            (0..leaves.len())
                .filter(|&i| seen[i])
                .map(index32)
                .collect()
        };
        let mut overlapping: Vec<Vec<u32>> = vec![Vec::new(); leaves.len()];
        for (i, &a) in live.iter().enumerate() {
            for &b in live.iter().skip(i + 1) {
                if let (Some(la), Some(lb)) = (leaves.get(a as usize), leaves.get(b as usize)) {
                    if la.overlaps(lb) {
                        overlapping[a as usize].push(b);
                        overlapping[b as usize].push(a);
                    }
                }
            }
        }
        if overlapping.iter().all(Vec::is_empty) {
            return Ok(());
        }

        // Reachable positions, ignoring counter guards (each counter value in
        // its range is reachable on its own; see `jointly_enabled`).
        let mut reached = vec![false; leaves.len()];
        let mut queue = vec![START];
        let mut present: Vec<Vec<Transition>> = vec![Vec::new(); leaves.len()];
        while let Some(pos) = queue.pop() {
            let list = self.transitions_of(pos);
            let chain = self.chain(pos);
            for t in list {
                if let Some(r) = reached.get_mut(t.target as usize) {
                    if !*r {
                        *r = true;
                        queue.push(t.target);
                    }
                }
                if let Some(p) = present.get_mut(t.target as usize) {
                    p.push(*t);
                }
            }
            for a in list {
                for &b in overlapping
                    .get(a.target as usize)
                    .map_or(&[][..], Vec::as_slice)
                {
                    if b <= a.target {
                        continue;
                    }
                    let others = present.get(b as usize).map_or(&[][..], Vec::as_slice);
                    if others.iter().any(|o| jointly_enabled(chain, *a, *o)) {
                        return Err(ContentModelError::Ambiguous {
                            first: LeafId(a.target),
                            second: LeafId(b),
                        });
                    }
                }
            }
            for t in list {
                if let Some(p) = present.get_mut(t.target as usize) {
                    p.clear();
                }
            }
        }
        Ok(())
    }

    #[inline]
    fn enabled(&self, state: &MatchState, t: Transition) -> bool {
        Self::enabled_in(self.chain(state.pos), state, t)
    }

    /// [`enabled`](Self::enabled) with the chain of `state.pos` already looked up.
    #[inline]
    fn enabled_in(chain: &[Counter], state: &MatchState, t: Transition) -> bool {
        let keep = usize::from(t.keep);
        for (slot, counter) in chain.iter().enumerate().skip(keep) {
            if state.regs.get(slot).is_none_or(|&c| c < counter.min) {
                return false;
            }
        }
        if t.restart {
            let slot = keep.wrapping_sub(1);
            let (Some(counter), Some(&c)) = (chain.get(slot), state.regs.get(slot)) else {
                return false;
            };
            if counter.max.is_some_and(|max| c >= max) {
                return false;
            }
        }
        true
    }

    #[inline]
    fn apply(&self, chain: &[Counter], state: &mut MatchState, t: Transition) {
        let keep = usize::from(t.keep);
        if t.restart {
            let slot = keep.wrapping_sub(1);
            if let (Some(counter), Some(c)) = (chain.get(slot), state.regs.get_mut(slot)) {
                *c = match counter.max {
                    Some(_) => c.saturating_add(1),
                    None => c.saturating_add(1).min(counter.min.max(1)),
                };
            }
        }
        let depth = self.chain(t.target).len();
        for slot in state.regs.iter_mut().take(depth).skip(keep) {
            *slot = 1;
        }
        state.pos = t.target;
    }

    /// Whether transition `t` reads `input` (whose exact key is `key`): by key when the
    /// target leaf has one, else by the leaf's own test.
    #[inline(always)]
    fn accepts<L: Symbol>(t: Transition, key: Option<u32>, leaves: &[L], input: &L::Input) -> bool {
        if t.key != NO_KEY {
            key == Some(t.key)
        } else {
            leaves
                .get(t.target as usize)
                .is_some_and(|l| l.matches(input))
        }
    }

    #[inline]
    pub(super) fn step<L: Symbol>(
        &self,
        leaves: &[L],
        state: &mut MatchState,
        input: &L::Input,
    ) -> Result<LeafId, StepError> {
        let key = L::input_key(input);
        if self.counters.is_empty() {
            // No counted repetition anywhere (most models): every transition is enabled and
            // no register changes, so a step is finding the transition.
            for &t in self.transitions_of(state.pos) {
                if Self::accepts(t, key, leaves, input) {
                    state.pos = t.target;
                    return Ok(LeafId(t.target));
                }
            }
            return Err(StepError::Unexpected);
        }
        // The counter chain of the current position, looked up once for all transitions.
        let chain = self.chain(state.pos);
        for &t in self.transitions_of(state.pos) {
            if Self::accepts(t, key, leaves, input) && Self::enabled_in(chain, state, t) {
                self.apply(chain, state, t);
                return Ok(LeafId(t.target));
            }
        }
        Err(StepError::Unexpected)
    }

    #[inline]
    pub(super) fn can_finish(&self, state: &MatchState) -> bool {
        if state.pos == START {
            return self.start_accepts;
        }
        let Some(position) = self.positions.get(state.pos as usize) else {
            return false;
        };
        position.last
            && self
                .chain(state.pos)
                .iter()
                .zip(&state.regs)
                .all(|(counter, &c)| c >= counter.min)
    }

    /// See [`super::Automaton::check_structure`]; also that each transition's key is its
    /// target's (a step that matches by key returns the target without looking at it).
    pub(super) fn check_structure<L: Symbol>(&self, leaves: &[L]) -> Result<(), &'static str> {
        if self.positions.len() != leaves.len() {
            return Err("position table and leaves differ in length");
        }
        let transition_ok = |t: &Transition| {
            leaves.get(t.target as usize).is_some_and(|leaf| {
                t.key == leaf.exact_key().filter(|&k| k != NO_KEY).unwrap_or(NO_KEY)
            })
        };
        if !self
            .start
            .iter()
            .chain(&self.transitions)
            .all(transition_ok)
        {
            return Err("transition to a leaf out of range or with another key");
        }
        for p in &self.positions {
            let (begin, end) = p.transitions;
            if begin > end || end as usize > self.transitions.len() {
                return Err("transition range out of range");
            }
            let (begin, end) = p.counters;
            if begin > end
                || end as usize > self.counters.len()
                || (end - begin) as usize > REGISTERS
            {
                return Err("counter range out of range");
            }
        }
        Ok(())
    }

    pub(super) fn expected(&self, state: &MatchState) -> Vec<LeafId> {
        self.transitions_of(state.pos)
            .iter()
            .filter(|t| self.enabled(state, **t))
            .map(|t| LeafId(t.target))
            .collect()
    }
}

fn index32(i: usize) -> u32 {
    // Leaf and transition counts are bounded by memory long before u32::MAX.
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[inline]
fn chain_of<'a>(positions: &[Position], counters: &'a [Counter], x: usize) -> &'a [Counter] {
    positions
        .get(x)
        .and_then(|p| counters.get(p.counters.0 as usize..p.counters.1 as usize))
        .unwrap_or(&[])
}

fn add_pairs(follow: &mut [Vec<Transition>], from: &[u32], to: &[u32], keep: u8, restart: bool) {
    for &x in from {
        if let Some(list) = follow.get_mut(x as usize) {
            list.extend(to.iter().map(|&y| Transition {
                target: y,
                keep,
                restart,
                key: NO_KEY,
            }));
        }
    }
}

/// Whether some reachable counter values enable both transitions (from a
/// position with counted ancestors `chain`). Counters of different slots are
/// independent: every iteration of a repetition is a fresh run of its body.
fn jointly_enabled(chain: &[Counter], a: Transition, b: Transition) -> bool {
    chain.iter().enumerate().all(|(slot, counter)| {
        let mut low = 1;
        let mut high = counter.ceiling();
        for t in [a, b] {
            let keep = usize::from(t.keep);
            if slot >= keep {
                low = low.max(counter.min);
            }
            if t.restart && slot + 1 == keep {
                if let Some(max) = counter.max {
                    high = high.min(max.saturating_sub(1));
                }
            }
        }
        low <= high
    })
}

/// Whether derivation `a` (preferred) of a follow pair leaves every
/// continuation open that derivation `b` of the same pair would. The two
/// differ only on the slots from `min(a, b)`'s first touched slot up to `a.keep`;
/// there `a` leaves counters lower or continues an iteration that `b` would
/// close and reopen. Lower counters are never worse while no minimum above 1
/// is at stake, so `a` dominates when every such counter has an effective
/// minimum of at most 1 (the exit checks are then vacuous).
fn dominates(chain: &[Counter], a: Transition, b: Transition) -> bool {
    let touched = |t: Transition| usize::from(t.keep) - usize::from(t.restart && t.keep > 0);
    let low = touched(a).min(touched(b));
    let high = usize::from(a.keep.max(b.keep));
    chain.iter().take(high).skip(low).all(|c| c.min <= 1)
}
