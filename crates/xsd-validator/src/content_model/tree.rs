//! Lowering of a [`Particle`] tree: leaves are numbered and moved out,
//! pointless particles dropped, trivial groups collapsed, and `xs:all` placement
//! checked. The result is an arena whose children precede their parents.

use super::{ContentModelError, LeafId, MaxOccurs, Particle, Term, MAX_NESTING};

/// A node of the lowered tree. Indices point into [`Tree::nodes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Leaf(LeafId),
    Seq(Vec<usize>),
    Choice(Vec<usize>),
    /// `min..=max` repetitions; `max == None` is unbounded. Never `1..=1`.
    Repeat {
        body: usize,
        min: u32,
        max: Option<u32>,
    },
    /// Matches only the empty sequence.
    Empty,
    /// Matches nothing (an empty `xs:choice`).
    Fail,
}

#[derive(Debug)]
pub(super) struct Tree {
    /// Children always have smaller indices than their parents.
    pub nodes: Vec<Node>,
    pub root: usize,
}

/// An `xs:all` content model.
#[derive(Debug)]
pub(super) struct AllGroup {
    /// The group itself may be absent (`minOccurs="0"`).
    pub optional: bool,
    /// Members in document order with whether each is required.
    pub members: Vec<(LeafId, bool)>,
}

#[derive(Debug)]
pub(super) enum Shape {
    General(Tree),
    All(AllGroup),
}

/// Numbers and moves out the leaves, then lowers the tree.
pub(super) fn lower<L>(root: Particle<L>) -> Result<(Vec<L>, Shape), ContentModelError> {
    check_nesting(&root)?;
    let mut leaves = Vec::new();
    let skeleton = split(root, &mut leaves);
    let shape = match all_root(&skeleton)? {
        Some(group) => Shape::All(group),
        None => {
            let mut nodes = Vec::new();
            let root = match lower_particle(&skeleton, &mut nodes)? {
                Some(root) => root,
                None => push(&mut nodes, Node::Empty),
            };
            Shape::General(Tree { nodes, root })
        }
    };
    Ok((leaves, shape))
}

/// Rejects trees nested deeper than [`MAX_NESTING`] before any recursive pass.
fn check_nesting<L>(root: &Particle<L>) -> Result<(), ContentModelError> {
    let mut stack = vec![(root, 1usize)];
    while let Some((particle, depth)) = stack.pop() {
        if depth > MAX_NESTING {
            return Err(ContentModelError::TooComplex {
                reason: "particles nested too deeply",
            });
        }
        match &particle.term {
            Term::Leaf(_) => {}
            Term::Sequence(children) | Term::Choice(children) | Term::All(children) => {
                stack.extend(children.iter().map(|c| (c, depth + 1)));
            }
        }
    }
    Ok(())
}

fn split<L>(particle: Particle<L>, leaves: &mut Vec<L>) -> Particle<LeafId> {
    let term = match particle.term {
        Term::Leaf(leaf) => {
            // u32 is plenty: a model with 4 billion leaves does not fit in memory.
            let id = LeafId(u32::try_from(leaves.len()).unwrap_or(u32::MAX));
            leaves.push(leaf);
            Term::Leaf(id)
        }
        Term::Sequence(children) => Term::Sequence(split_all(children, leaves)),
        Term::Choice(children) => Term::Choice(split_all(children, leaves)),
        Term::All(children) => Term::All(split_all(children, leaves)),
    };
    Particle {
        min: particle.min,
        max: particle.max,
        term,
    }
}

fn split_all<L>(children: Vec<Particle<L>>, leaves: &mut Vec<L>) -> Vec<Particle<LeafId>> {
    children.into_iter().map(|c| split(c, leaves)).collect()
}

fn check_occurs<L>(particle: &Particle<L>) -> Result<(), ContentModelError> {
    match particle.max {
        MaxOccurs::Bounded(max) if particle.min > max => Err(ContentModelError::MinExceedsMax {
            min: particle.min,
            max,
        }),
        _ => Ok(()),
    }
}

fn is_pointless<L>(particle: &Particle<L>) -> bool {
    particle.max == MaxOccurs::Bounded(0)
}

fn is_once<L>(particle: &Particle<L>) -> bool {
    particle.min == 1 && particle.max == MaxOccurs::Bounded(1)
}

/// Finds an `xs:all` at the root, looking through 1..1 groups with a single
/// member (which do not change the language).
fn all_root(root: &Particle<LeafId>) -> Result<Option<AllGroup>, ContentModelError> {
    let mut particle = root;
    loop {
        check_occurs(particle)?;
        match &particle.term {
            Term::All(members) => return all_group(particle, members).map(Some),
            Term::Sequence(children) if is_once(particle) => {
                let mut live = children.iter().filter(|c| !is_pointless(c));
                match (live.next(), live.next()) {
                    (Some(only), None) => particle = only,
                    _ => return Ok(None),
                }
            }
            Term::Choice(children) if is_once(particle) && children.len() == 1 => {
                match children.first() {
                    Some(only) => particle = only,
                    None => return Ok(None),
                }
            }
            _ => return Ok(None),
        }
    }
}

fn all_group(
    particle: &Particle<LeafId>,
    members: &[Particle<LeafId>],
) -> Result<AllGroup, ContentModelError> {
    if is_pointless(particle) {
        return Ok(AllGroup {
            optional: true,
            members: Vec::new(),
        });
    }
    if particle.min > 1 || particle.max != MaxOccurs::Bounded(1) {
        return Err(ContentModelError::AllLimited {
            reason: "an all group must have minOccurs 0 or 1 and maxOccurs 1",
        });
    }
    let mut out = Vec::with_capacity(members.len());
    for member in members {
        check_occurs(member)?;
        let Term::Leaf(id) = member.term else {
            return Err(ContentModelError::AllLimited {
                reason: "an all group may only contain element particles",
            });
        };
        match member.max {
            MaxOccurs::Bounded(0) => {}
            MaxOccurs::Bounded(1) => out.push((id, member.min == 1)),
            _ => {
                return Err(ContentModelError::AllLimited {
                    reason: "members of an all group must have maxOccurs 0 or 1",
                })
            }
        }
    }
    Ok(AllGroup {
        optional: particle.min == 0,
        members: out,
    })
}

fn push(nodes: &mut Vec<Node>, node: Node) -> usize {
    nodes.push(node);
    nodes.len() - 1
}

/// Lowers one particle; `None` when it is pointless.
fn lower_particle(
    particle: &Particle<LeafId>,
    nodes: &mut Vec<Node>,
) -> Result<Option<usize>, ContentModelError> {
    check_occurs(particle)?;
    if is_pointless(particle) {
        return Ok(None);
    }
    let body = match &particle.term {
        Term::Leaf(id) => push(nodes, Node::Leaf(*id)),
        Term::Sequence(children) => {
            let mut kids = Vec::with_capacity(children.len());
            for child in children {
                if let Some(kid) = lower_particle(child, nodes)? {
                    if nodes.get(kid) != Some(&Node::Empty) {
                        kids.push(kid);
                    }
                }
            }
            match kids.as_slice() {
                [] => push(nodes, Node::Empty),
                [only] => *only,
                _ => push(nodes, Node::Seq(kids)),
            }
        }
        Term::Choice(children) => {
            let mut kids = Vec::with_capacity(children.len());
            for child in children {
                // A pointless alternative still offers the empty sequence.
                let kid = match lower_particle(child, nodes)? {
                    Some(kid) => kid,
                    None => push(nodes, Node::Empty),
                };
                kids.push(kid);
            }
            match kids.as_slice() {
                [] => push(nodes, Node::Fail),
                [only] => *only,
                _ => push(nodes, Node::Choice(kids)),
            }
        }
        Term::All(_) => {
            return Err(ContentModelError::AllLimited {
                reason: "an all group may only appear as the whole content model",
            })
        }
    };
    if is_once(particle) {
        return Ok(Some(body));
    }
    let node = match nodes.get(body) {
        Some(Node::Empty) => Node::Empty,
        Some(Node::Fail) if particle.min == 0 => Node::Empty,
        Some(Node::Fail) => Node::Fail,
        _ => Node::Repeat {
            body,
            min: particle.min,
            max: match particle.max {
                MaxOccurs::Bounded(max) => Some(max),
                MaxOccurs::Unbounded => None,
            },
        },
    };
    Ok(Some(push(nodes, node)))
}
