//! Tests with a toy leaf type: names, name sets (substitution groups) and
//! prefix wildcards (namespace constraints).

use super::*;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Toy {
    Name(&'static str),
    /// A head with its substitution group members.
    Group(Vec<&'static str>),
    /// Any name starting with the prefix.
    Wild(&'static str),
}

impl Toy {
    fn names(&self) -> Option<Vec<&'static str>> {
        match self {
            Toy::Name(n) => Some(vec![n]),
            Toy::Group(ns) => Some(ns.clone()),
            Toy::Wild(_) => None,
        }
    }
}

impl Symbol for Toy {
    type Input = str;

    fn matches(&self, input: &str) -> bool {
        match self {
            Toy::Name(n) => *n == input,
            Toy::Group(ns) => ns.contains(&input),
            Toy::Wild(prefix) => input.starts_with(prefix),
        }
    }

    fn overlaps(&self, other: &Self) -> bool {
        match (self, other) {
            (Toy::Wild(p), Toy::Wild(q)) => p.starts_with(q) || q.starts_with(p),
            (Toy::Wild(_), named) => named
                .names()
                .is_some_and(|ns| ns.iter().any(|n| self.matches(n))),
            (named, Toy::Wild(_)) => named
                .names()
                .is_some_and(|ns| ns.iter().any(|n| other.matches(n))),
            (a, b) => a.names().is_some_and(|ns| ns.iter().any(|n| b.matches(n))),
        }
    }
}

type P = Particle<Toy>;

fn e(name: &'static str) -> P {
    P::once(Term::Leaf(Toy::Name(name)))
}
fn w(prefix: &'static str) -> P {
    P::once(Term::Leaf(Toy::Wild(prefix)))
}
fn seq(children: Vec<P>) -> P {
    P::once(Term::Sequence(children))
}
fn choice(children: Vec<P>) -> P {
    P::once(Term::Choice(children))
}
fn all(children: Vec<P>) -> P {
    P::once(Term::All(children))
}
/// Replaces the occurrence range (wrap in `seq` to nest); `max == None` is unbounded.
fn occ(p: P, min: u32, max: Option<u32>) -> P {
    P::new(
        min,
        max.map_or(MaxOccurs::Unbounded, MaxOccurs::Bounded),
        p.term,
    )
}
fn opt(p: P) -> P {
    occ(p, 0, Some(1))
}
fn star(p: P) -> P {
    occ(p, 0, None)
}
fn plus(p: P) -> P {
    occ(p, 1, None)
}

fn compile(p: P) -> Automaton<Toy> {
    match Automaton::compile(p.clone()) {
        Ok(a) => a,
        Err(err) => panic!("{p:?} does not compile: {err}"),
    }
}

fn accepts(a: &Automaton<Toy>, input: &[&str]) -> bool {
    let mut state = a.start();
    input.iter().all(|i| a.step(&mut state, i).is_ok()) && a.can_finish(&state)
}

fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

fn check(p: P, good: &[&str], bad: &[&str]) {
    let a = compile(p.clone());
    for g in good {
        assert!(accepts(&a, &words(g)), "{p:?} should accept {g:?}");
        assert!(
            reference_accepts(&p, &words(g)),
            "reference disagrees on {g:?}"
        );
    }
    for b in bad {
        assert!(!accepts(&a, &words(b)), "{p:?} should reject {b:?}");
        assert!(
            !reference_accepts(&p, &words(b)),
            "reference disagrees on {b:?}"
        );
    }
}

fn ambiguous(p: P) -> (u32, u32) {
    match Automaton::compile(p.clone()) {
        Err(ContentModelError::Ambiguous { first, second }) => (first.0, second.0),
        other => panic!("{p:?} should be ambiguous, got {other:?}"),
    }
}

fn expected_names(a: &Automaton<Toy>, state: &MatchState) -> Vec<String> {
    a.expected(state)
        .into_iter()
        .map(|id| match a.leaf(id) {
            Toy::Name(n) => n.to_string(),
            Toy::Group(ns) => ns.join("|"),
            Toy::Wild(p) => format!("{p}*"),
        })
        .collect()
}

// ---- reference: set-based matcher straight from the particle semantics ----

/// End offsets reachable by matching `p` from `at`.
fn ends(p: &P, input: &[&str], at: usize) -> BTreeSet<usize> {
    let mut result = BTreeSet::new();
    if p.min == 0 {
        result.insert(at);
    }
    let mut current = BTreeSet::from([at]);
    let cap = match p.max {
        MaxOccurs::Bounded(m) => m as usize,
        MaxOccurs::Unbounded => usize::MAX,
    };
    let mut k = 0usize;
    while k < cap && !current.is_empty() {
        k += 1;
        let next: BTreeSet<usize> = current
            .iter()
            .flat_map(|&i| term_ends(&p.term, input, i))
            .collect();
        if k >= p.min as usize {
            let before = result.len();
            result.extend(next.iter().copied());
            // Past the minimum, an iteration that adds nothing new never will.
            if result.len() == before && next == current {
                break;
            }
        }
        if k > p.min as usize + input.len() + 2 && result.is_superset(&next) {
            break;
        }
        current = next;
    }
    result
}

fn term_ends(t: &Term<Toy>, input: &[&str], at: usize) -> BTreeSet<usize> {
    match t {
        Term::Leaf(l) => match input.get(at) {
            Some(i) if l.matches(i) => BTreeSet::from([at + 1]),
            _ => BTreeSet::new(),
        },
        Term::Sequence(children) => children.iter().fold(BTreeSet::from([at]), |acc, c| {
            acc.iter().flat_map(|&i| ends(c, input, i)).collect()
        }),
        Term::Choice(children) => children.iter().flat_map(|c| ends(c, input, at)).collect(),
        Term::All(children) => {
            let full = (1u32 << children.len()) - 1;
            let mut seen = BTreeSet::from([(at, 0u32)]);
            let mut queue = vec![(at, 0u32)];
            while let Some((i, mask)) = queue.pop() {
                for (m, c) in children.iter().enumerate() {
                    if mask & (1 << m) == 0 {
                        for j in ends(c, input, i) {
                            if seen.insert((j, mask | 1 << m)) {
                                queue.push((j, mask | 1 << m));
                            }
                        }
                    }
                }
            }
            seen.into_iter()
                .filter(|&(_, m)| m == full)
                .map(|(i, _)| i)
                .collect()
        }
    }
}

fn reference_accepts(p: &P, input: &[&str]) -> bool {
    ends(p, input, 0).contains(&input.len())
}

// ---- behaviour ----

#[test]
fn sequence_requires_order_and_completeness() {
    check(
        seq(vec![e("a"), e("b"), e("c")]),
        &["a b c"],
        &["", "a b", "a c b", "a b c c", "b"],
    );
}

#[test]
fn choice_takes_one_branch() {
    check(
        choice(vec![e("a"), seq(vec![e("b"), e("c")])]),
        &["a", "b c"],
        &["", "a b", "b", "c", "a a"],
    );
}

#[test]
fn occurrences() {
    check(
        seq(vec![opt(e("a")), e("b")]),
        &["b", "a b"],
        &["a", "a a b", ""],
    );
    check(
        seq(vec![star(e("a")), e("b")]),
        &["b", "a b", "a a a b"],
        &["a", "b b"],
    );
    check(
        seq(vec![plus(e("a")), e("b")]),
        &["a b", "a a a b"],
        &["b", "a"],
    );
    check(
        occ(e("a"), 2, Some(3)),
        &["a a", "a a a"],
        &["", "a", "a a a a"],
    );
    check(occ(e("a"), 2, None), &["a a", "a a a a a"], &["", "a"]);
    check(
        seq(vec![occ(e("a"), 2, Some(3)), e("b")]),
        &["a a b", "a a a b"],
        &["a b", "a a a a b", "a a"],
    );
}

#[test]
fn repeated_groups() {
    let p = occ(seq(vec![e("a"), opt(e("b"))]), 2, Some(3));
    check(
        p,
        &["a a", "a b a", "a b a b a b", "a a a"],
        &["a", "a b", "a a a a", "b a"],
    );
    let p = star(choice(vec![e("a"), e("b")]));
    check(p, &["", "a", "b a b b"], &["c"]);
    let p = occ(choice(vec![e("a"), seq(vec![e("b"), e("c")])]), 1, Some(2));
    check(p, &["a", "b c a", "a a"], &["", "b", "a a a", "a b"]);
    // Nested counters: the inner count resets on every outer iteration.
    let p = occ(seq(vec![e("s"), occ(e("a"), 2, Some(2))]), 2, Some(3));
    check(
        p,
        &["s a a s a a", "s a a s a a s a a"],
        &["s a a", "s a s a a", "s a a a s a a"],
    );
}

#[test]
fn emptiable_groups_count_only_real_iterations() {
    // (a?, b?){2,3}: the minimum is met by empty iterations.
    let p = occ(seq(vec![opt(e("a")), opt(e("b"))]), 2, Some(3));
    check(
        p,
        &["", "a", "a b", "a b a b a b", "b a b"],
        &["a b a b a b a", "b b b b"],
    );
    let p = occ(seq(vec![opt(e("a"))]), 5, Some(5));
    check(p, &["", "a a a a a"], &["a a a a a a"]);
}

#[test]
fn large_bounds_compile_small_and_count_exactly() {
    let a = compile(occ(e("a"), 0, Some(100_000)));
    let mut state = a.start();
    for _ in 0..100_000 {
        assert!(a.step(&mut state, "a").is_ok());
    }
    assert!(a.can_finish(&state));
    assert_eq!(a.step(&mut state, "a"), Err(StepError::Unexpected));
    assert!(a.expected(&state).is_empty());

    let a = compile(seq(vec![e("h"), occ(e("a"), 1000, None), e("t")]));
    let mut state = a.start();
    assert!(a.step(&mut state, "h").is_ok());
    for i in 0..1000 {
        assert_eq!(a.expected(&state), vec![LeafId(1)], "after {i}");
        assert!(a.step(&mut state, "a").is_ok());
    }
    assert_eq!(expected_names(&a, &state), ["a", "t"]);
    assert!(a.step(&mut state, "t").is_ok());
    assert!(a.can_finish(&state));

    // A counted group inside a counted group.
    let p = occ(
        seq(vec![e("x"), occ(e("y"), 3000, Some(5000))]),
        2,
        Some(4000),
    );
    let a = compile(p);
    let doc: Vec<&str> = std::iter::once("x")
        .chain(std::iter::repeat_n("y", 3000))
        .chain(std::iter::once("x"))
        .chain(std::iter::repeat_n("y", 5000))
        .collect();
    assert!(accepts(&a, &doc));
    assert!(!accepts(&a, &doc[..doc.len() - 2001]));
    let mut too_many = doc.clone();
    too_many.push("y");
    assert!(!accepts(&a, &too_many));
}

#[test]
fn all_group_any_order_each_once() {
    let p = all(vec![e("a"), opt(e("b")), e("c")]);
    check(
        p.clone(),
        &["a c", "c a", "b c a", "a b c"],
        &["", "a", "a a c", "a c b b", "d"],
    );
    let a = compile(p);
    let mut state = a.start();
    assert_eq!(expected_names(&a, &state), ["a", "b", "c"]);
    assert!(a.step(&mut state, "c").is_ok());
    assert_eq!(expected_names(&a, &state), ["a", "b"]);
    assert!(!a.can_finish(&state));

    let optional = occ(all(vec![e("a"), e("b")]), 0, Some(1));
    check(optional, &["", "a b", "b a"], &["a", "b"]);
    // Wrapped in 1..1 single-member groups is still the whole model.
    check(seq(vec![all(vec![e("a"), e("b")])]), &["b a"], &["a"]);
    check(all(vec![]), &[""], &["a"]);
}

#[test]
fn all_group_limits() {
    let limited = |p: P| match Automaton::compile(p) {
        Err(err @ ContentModelError::AllLimited { .. }) => {
            assert_eq!(err.rule(), Some("cos-all-limited"))
        }
        other => panic!("expected cos-all-limited, got {other:?}"),
    };
    limited(seq(vec![e("x"), all(vec![e("a")])]));
    limited(occ(all(vec![e("a")]), 0, Some(2)));
    limited(all(vec![star(e("a"))]));
    limited(all(vec![seq(vec![e("a")])]));
    limited(choice(vec![all(vec![e("a")]), e("b")]));
    // Pointless members and a pointless group are fine.
    check(
        all(vec![e("a"), occ(e("b"), 0, Some(0))]),
        &["a"],
        &["b", "a b"],
    );
    check(occ(all(vec![e("a")]), 0, Some(0)), &[""], &["a"]);
}

#[test]
fn pointless_particles_are_removed_but_keep_leaf_numbers() {
    let p = seq(vec![
        occ(e("a"), 0, Some(0)),
        e("b"),
        occ(seq(vec![e("c")]), 0, Some(0)),
        e("d"),
    ]);
    let a = compile(p.clone());
    check(p, &["b d"], &["a b d", "b c d"]);
    let mut state = a.start();
    assert_eq!(a.step(&mut state, "b"), Ok(LeafId(1)));
    assert_eq!(a.step(&mut state, "d"), Ok(LeafId(3)));
    // A pointless alternative still allows the empty sequence.
    check(
        choice(vec![e("a"), occ(e("b"), 0, Some(0))]),
        &["", "a"],
        &["b"],
    );
}

#[test]
fn empty_groups() {
    check(seq(vec![]), &[""], &["a"]);
    check(choice(vec![]), &[], &["", "a"]);
    check(opt(choice(vec![])), &[""], &["a"]);
    check(
        seq(vec![e("a"), choice(vec![]), e("b")]),
        &[],
        &["a", "a b"],
    );
}

#[test]
fn invalid_occurrence_range() {
    assert_eq!(
        Automaton::compile(occ(e("a"), 3, Some(2))).err(),
        Some(ContentModelError::MinExceedsMax { min: 3, max: 2 })
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowing() {
    let mut p = e("a");
    for _ in 0..10_000 {
        p = seq(vec![p]);
    }
    assert!(matches!(
        Automaton::compile(p),
        Err(ContentModelError::TooComplex { .. })
    ));
}

#[test]
fn expected_lists() {
    let a = compile(seq(vec![e("a"), choice(vec![e("b"), opt(e("c"))]), e("d")]));
    let mut state = a.start();
    assert_eq!(expected_names(&a, &state), ["a"]);
    assert!(a.step(&mut state, "a").is_ok());
    assert_eq!(expected_names(&a, &state), ["b", "c", "d"]);
    // A rejected step changes nothing.
    assert_eq!(a.step(&mut state, "z"), Err(StepError::Unexpected));
    assert_eq!(expected_names(&a, &state), ["b", "c", "d"]);
    assert!(a.step(&mut state, "c").is_ok());
    assert_eq!(expected_names(&a, &state), ["d"]);
    assert!(!a.can_finish(&state));

    // Counter guards show in the list: after the maximum only the follower.
    let a = compile(seq(vec![occ(e("a"), 1, Some(2)), e("b")]));
    let mut state = a.start();
    assert!(a.step(&mut state, "a").is_ok());
    assert_eq!(expected_names(&a, &state), ["a", "b"]);
    assert!(a.step(&mut state, "a").is_ok());
    assert_eq!(expected_names(&a, &state), ["b"]);
}

#[test]
fn step_reports_the_matching_leaf() {
    let a = compile(seq(vec![
        e("a"),
        w("x"),
        occ(
            Particle::once(Term::Leaf(Toy::Group(vec!["h", "m"]))),
            1,
            Some(2),
        ),
    ]));
    let mut state = a.start();
    assert_eq!(a.step(&mut state, "a"), Ok(LeafId(0)));
    assert_eq!(a.step(&mut state, "x1"), Ok(LeafId(1)));
    assert_eq!(a.step(&mut state, "m"), Ok(LeafId(2)));
    assert_eq!(a.step(&mut state, "h"), Ok(LeafId(2)));
    assert!(a.can_finish(&state));
}

#[test]
fn emptiable() {
    assert!(compile(star(e("a"))).is_emptiable());
    assert!(compile(seq(vec![opt(e("a")), star(e("b"))])).is_emptiable());
    assert!(compile(occ(seq(vec![opt(e("a"))]), 3, Some(4))).is_emptiable());
    assert!(!compile(seq(vec![opt(e("a")), e("b")])).is_emptiable());
    assert!(!compile(occ(e("a"), 2, Some(4))).is_emptiable());
}

#[test]
fn automaton_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Automaton<Toy>>();
    assert_send_sync::<MatchState>();
}

// ---- Unique Particle Attribution ----

#[test]
fn upa_violations() {
    assert_eq!(ambiguous(seq(vec![opt(e("a")), e("a")])), (0, 1));
    assert_eq!(
        ambiguous(seq(vec![star(choice(vec![e("a"), e("b")])), e("a")])),
        (0, 2)
    );
    assert_eq!(ambiguous(seq(vec![star(e("a")), e("a")])), (0, 1));
    assert_eq!(ambiguous(choice(vec![e("a"), e("a")])), (0, 1));
    assert_eq!(
        ambiguous(choice(vec![
            seq(vec![e("a"), e("b")]),
            seq(vec![e("a"), e("c")])
        ])),
        (0, 2)
    );
    assert_eq!(
        ambiguous(seq(vec![occ(e("a"), 2, Some(3)), e("a")])),
        (0, 1)
    );
    assert_eq!(
        ambiguous(seq(vec![occ(e("a"), 0, None), opt(e("b")), e("a")])),
        (0, 2)
    );
    // Element against a wildcard that allows its name, either order.
    assert_eq!(ambiguous(seq(vec![opt(w("x")), e("x1")])), (0, 1));
    assert_eq!(ambiguous(choice(vec![e("x1"), w("x")])), (0, 1));
    assert_eq!(ambiguous(choice(vec![w("x"), w("xy")])), (0, 1));
    // Substitution group member against a sibling element.
    let head = Particle::once(Term::Leaf(Toy::Group(vec!["h", "m"])));
    assert_eq!(ambiguous(choice(vec![head, e("m")])), (0, 1));
    // Restart against continuation inside a repeated group.
    assert_eq!(ambiguous(plus(seq(vec![e("a"), opt(e("a"))]))), (0, 1));
    // Restart of an outer counted group against a later particle.
    assert_eq!(
        ambiguous(seq(vec![
            occ(seq(vec![e("a"), e("b")]), 1, Some(3)),
            e("a")
        ])),
        (0, 2)
    );
    assert_eq!(ambiguous(all(vec![e("a"), e("b"), e("a")])), (0, 2));
    assert_eq!(ambiguous(all(vec![w("x"), e("x9")])), (0, 1));
    let err = Automaton::compile(choice(vec![e("a"), e("a")])).err();
    assert_eq!(err.and_then(|e| e.rule()), Some("cos-nonambig"));
}

#[test]
fn upa_non_violations() {
    compile(seq(vec![e("a"), opt(e("a"))]));
    compile(seq(vec![occ(e("a"), 2, Some(3)), e("b")]));
    compile(seq(vec![occ(e("a"), 2, Some(2)), e("a")]));
    compile(seq(vec![
        occ(seq(vec![e("a"), e("b")]), 3, Some(3)),
        e("a"),
    ]));
    compile(seq(vec![star(e("a")), e("b")]));
    compile(plus(seq(vec![plus(e("a")), e("b")])));
    compile(seq(vec![w("x"), e("a")]));
    compile(choice(vec![w("x"), e("a")]));
    compile(seq(vec![opt(w("x")), e("y1")]));
    // One particle reached along several paths is not ambiguous.
    compile(star(seq(vec![opt(e("a")), opt(e("b"))])));
    compile(occ(seq(vec![opt(e("a")), opt(e("b"))]), 0, Some(3)));
    compile(star(seq(vec![star(e("a"))])));
    compile(occ(seq(vec![occ(e("a"), 0, Some(2))]), 0, Some(3)));
    // Overlapping leaves that never compete.
    compile(seq(vec![e("a"), e("a"), e("a")]));
    compile(seq(vec![e("a"), e("b"), opt(e("a"))]));
    compile(all(vec![e("a"), e("b")]));
}
