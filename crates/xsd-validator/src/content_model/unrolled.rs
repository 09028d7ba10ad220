//! Fallback engine for the rare models whose iteration counts the counter
//! engine cannot track deterministically, such as `(a{1,2}){3,4}`: a single
//! particle (so no `cos-nonambig` violation), but after three `a`s the run may
//! be in the second or the third outer iteration.
//!
//! Bounds are unrolled into copies (each copy keeps its [`LeafId`]), a plain
//! Glushkov automaton is built over the copies and determinised by subset
//! construction. Both the unrolled size and the number of subsets are capped,
//! so a hostile model costs bounded time and memory and ends in
//! [`ContentModelError::TooComplex`].

use std::collections::HashMap;

use super::tree::{Node, Tree};
use super::{ContentModelError, LeafId, MatchState, StepError, Symbol, START};

/// Most leaf copies an unrolled model may have.
const MAX_POSITIONS: usize = 4096;
/// Most subsets (deterministic states) the construction may create.
const MAX_STATES: usize = 4096;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct State {
    /// Sorted by leaf; at most one entry per leaf.
    transitions: Vec<(LeafId, u32)>,
    accepting: bool,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct UnrolledMachine {
    /// State 0 is the start.
    states: Vec<State>,
}

/// An unrolled tree: only `?`, `*` and `+` remain as repetitions.
struct Unrolled {
    nodes: Vec<Node>,
    /// Leaf id of each position (positions are the `Node::Leaf` nodes).
    position_leaf: Vec<LeafId>,
}

fn too_large() -> ContentModelError {
    ContentModelError::TooComplex {
        reason: "repeated particles whose iteration count cannot be tracked, too large to unroll",
    }
}

impl Unrolled {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Copies `node` of `tree` with its repetitions unrolled.
    fn copy(&mut self, tree: &Tree, node: usize) -> Result<usize, ContentModelError> {
        if self.position_leaf.len() > MAX_POSITIONS || self.nodes.len() > 8 * MAX_POSITIONS {
            return Err(too_large());
        }
        let copied = match tree.nodes.get(node) {
            Some(Node::Leaf(id)) => {
                self.position_leaf.push(*id);
                Node::Leaf(*id)
            }
            Some(Node::Empty) | None => Node::Empty,
            Some(Node::Fail) => Node::Fail,
            Some(Node::Seq(kids)) => Node::Seq(self.copy_all(tree, kids)?),
            Some(Node::Choice(kids)) => Node::Choice(self.copy_all(tree, kids)?),
            Some(&Node::Repeat { body, min, max }) => {
                let plain = matches!((min, max), (0, Some(1)) | (0 | 1, None));
                if plain {
                    let body = self.copy(tree, body)?;
                    Node::Repeat { body, min, max }
                } else {
                    let mut parts = Vec::new();
                    for _ in 0..min {
                        parts.push(self.copy(tree, body)?);
                    }
                    match max {
                        None => {
                            let body = self.copy(tree, body)?;
                            parts.push(self.push(Node::Repeat {
                                body,
                                min: 0,
                                max: None,
                            }));
                        }
                        Some(max) => {
                            // (p, (p, (p)?)?)? keeps the copies in order.
                            let mut tail = None;
                            for _ in min..max {
                                let body = self.copy(tree, body)?;
                                let inner = match tail {
                                    Some(t) => self.push(Node::Seq(vec![body, t])),
                                    None => body,
                                };
                                tail = Some(self.push(Node::Repeat {
                                    body: inner,
                                    min: 0,
                                    max: Some(1),
                                }));
                            }
                            parts.extend(tail);
                        }
                    }
                    Node::Seq(parts)
                }
            }
        };
        Ok(self.push(copied))
    }

    fn copy_all(&mut self, tree: &Tree, kids: &[usize]) -> Result<Vec<usize>, ContentModelError> {
        kids.iter().map(|&k| self.copy(tree, k)).collect()
    }
}

impl UnrolledMachine {
    pub(super) fn build<L: Symbol>(tree: &Tree, leaves: &[L]) -> Result<Self, ContentModelError> {
        let mut unrolled = Unrolled {
            nodes: Vec::new(),
            position_leaf: Vec::new(),
        };
        let root = unrolled.copy(tree, tree.root)?;
        let n = unrolled.nodes.len();

        // Glushkov over positions; children precede parents in the arena.
        let mut nullable = vec![false; n];
        let mut first: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut last: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut follow: Vec<Vec<u32>> = vec![Vec::new(); unrolled.position_leaf.len()];
        let mut next_position = 0u32;
        for i in 0..n {
            match &unrolled.nodes[i] {
                Node::Leaf(_) => {
                    first[i] = vec![next_position];
                    last[i] = vec![next_position];
                    next_position += 1;
                }
                Node::Empty => nullable[i] = true,
                Node::Fail => {}
                Node::Choice(kids) => {
                    for &k in kids {
                        nullable[i] |= nullable[k];
                        let (f, l) = (first[k].clone(), last[k].clone());
                        first[i].extend(f);
                        last[i].extend(l);
                    }
                }
                Node::Seq(kids) => {
                    let mut prefix_nullable = true;
                    let mut f = Vec::new();
                    for &k in kids {
                        if prefix_nullable {
                            f.extend_from_slice(&first[k]);
                        }
                        prefix_nullable &= nullable[k];
                    }
                    let mut l = Vec::new();
                    for &k in kids.iter().rev() {
                        l.extend_from_slice(&last[k]);
                        if !nullable[k] {
                            break;
                        }
                    }
                    for (a, &ka) in kids.iter().enumerate() {
                        for &kb in kids.iter().skip(a + 1) {
                            for &x in &last[ka] {
                                follow[x as usize].extend_from_slice(&first[kb]);
                            }
                            if !nullable[kb] {
                                break;
                            }
                        }
                    }
                    nullable[i] = prefix_nullable;
                    first[i] = f;
                    last[i] = l;
                }
                Node::Repeat { body, min, max } => {
                    let body = *body;
                    nullable[i] = *min == 0 || nullable[body];
                    first[i] = first[body].clone();
                    last[i] = last[body].clone();
                    if *max != Some(1) {
                        for &x in &last[body] {
                            follow[x as usize].extend_from_slice(&first[body]);
                        }
                    }
                }
            }
        }
        let mut is_last = vec![false; unrolled.position_leaf.len()];
        for &x in &last[root] {
            is_last[x as usize] = true;
        }

        // Subset construction; a subset is the sorted set of current positions.
        let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut subsets: Vec<Vec<u32>> = vec![Vec::new()];
        let mut states = vec![State {
            transitions: Vec::new(),
            accepting: nullable[root],
        }];
        let mut done = 0;
        while done < subsets.len() {
            let candidates: Vec<u32> = if done == 0 {
                first[root].clone()
            } else {
                subsets[done]
                    .iter()
                    .flat_map(|&x| follow[x as usize].iter().copied())
                    .collect()
            };
            let mut by_leaf: Vec<(LeafId, u32)> = candidates
                .into_iter()
                .map(|y| (unrolled.position_leaf[y as usize], y))
                .collect();
            by_leaf.sort_unstable();
            by_leaf.dedup();
            let mut transitions = Vec::new();
            for group in by_leaf.chunk_by(|a, b| a.0 == b.0) {
                let leaf = group[0].0;
                let target: Vec<u32> = group.iter().map(|&(_, y)| y).collect();
                let id = match index.get(&target) {
                    Some(&id) => id,
                    None => {
                        if subsets.len() >= MAX_STATES {
                            return Err(too_large());
                        }
                        let id = u32::try_from(subsets.len()).map_err(|_| too_large())?;
                        states.push(State {
                            transitions: Vec::new(),
                            accepting: target.iter().any(|&y| is_last[y as usize]),
                        });
                        index.insert(target.clone(), id);
                        subsets.push(target);
                        id
                    }
                };
                transitions.push((leaf, id));
            }
            // cos-nonambig: distinct leaves competing from one subset.
            for (i, &(a, _)) in transitions.iter().enumerate() {
                for &(b, _) in transitions.iter().skip(i + 1) {
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
            states[done].transitions = transitions;
            done += 1;
        }
        Ok(UnrolledMachine { states })
    }

    /// See [`super::Automaton::check_structure`].
    pub(super) fn check_structure(&self, leaf_count: usize) -> Result<(), &'static str> {
        if self.states.is_empty() {
            return Err("no start state");
        }
        let in_range = |&(leaf, next): &(LeafId, u32)| {
            leaf.index() < leaf_count && (next as usize) < self.states.len()
        };
        if self
            .states
            .iter()
            .all(|s| s.transitions.iter().all(in_range))
        {
            Ok(())
        } else {
            Err("transition to a leaf or state out of range")
        }
    }

    fn state(&self, state: &MatchState) -> Option<&State> {
        let index = if state.pos == START {
            0
        } else {
            state.pos as usize
        };
        self.states.get(index)
    }

    pub(super) fn step<L: Symbol>(
        &self,
        leaves: &[L],
        state: &mut MatchState,
        input: &L::Input,
    ) -> Result<LeafId, StepError> {
        let current = self.state(state).ok_or(StepError::Unexpected)?;
        for &(leaf, next) in &current.transitions {
            if leaves.get(leaf.index()).is_some_and(|l| l.matches(input)) {
                state.pos = next;
                return Ok(leaf);
            }
        }
        Err(StepError::Unexpected)
    }

    pub(super) fn can_finish(&self, state: &MatchState) -> bool {
        self.state(state).is_some_and(|s| s.accepting)
    }

    pub(super) fn expected(&self, state: &MatchState) -> Vec<LeafId> {
        self.state(state)
            .map(|s| s.transitions.iter().map(|&(leaf, _)| leaf).collect())
            .unwrap_or_default()
    }
}
