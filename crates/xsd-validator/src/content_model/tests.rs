//! Tests with a toy leaf type: names, name sets (substitution groups) and
//! prefix wildcards (namespace constraints).

use super::*;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Toy {
    Name(&'static str),
    /// A head with its substitution group members.
    Group(Vec<&'static str>),
    /// Any name starting with the prefix (a namespace wildcard).
    Wild(&'static str),
    /// Any name not starting with the prefix (`##other`).
    Other(&'static str),
}

impl Toy {
    fn names(&self) -> Option<Vec<&'static str>> {
        match self {
            Toy::Name(n) => Some(vec![n]),
            Toy::Group(ns) => Some(ns.clone()),
            Toy::Wild(_) | Toy::Other(_) => None,
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
            Toy::Other(prefix) => !input.starts_with(prefix),
        }
    }

    fn overlaps(&self, other: &Self) -> bool {
        match (self, other) {
            (Toy::Wild(p), Toy::Wild(q)) => p.starts_with(q) || q.starts_with(p),
            (Toy::Other(_), Toy::Other(_)) => true,
            // Some name with prefix `w` avoids prefix `o` unless `w` extends `o`.
            (Toy::Wild(w), Toy::Other(o)) | (Toy::Other(o), Toy::Wild(w)) => !w.starts_with(o),
            (Toy::Other(_), named) => named
                .names()
                .is_some_and(|ns| ns.iter().any(|n| self.matches(n))),
            (named, Toy::Other(_)) => named
                .names()
                .is_some_and(|ns| ns.iter().any(|n| other.matches(n))),
            (Toy::Wild(_), named) => named
                .names()
                .is_some_and(|ns| ns.iter().any(|n| self.matches(n))),
            (named, Toy::Wild(_)) => named
                .names()
                .is_some_and(|ns| ns.iter().any(|n| other.matches(n))),
            (a, b) => a.names().is_some_and(|ns| ns.iter().any(|n| b.matches(n))),
        }
    }

    // Short names get exact keys, so the engine's keyed comparison is exercised next to
    // `matches` (groups and wildcards); longer names and inputs have none.
    fn exact_key(&self) -> Option<u32> {
        match self {
            Toy::Name(n) => toy_key(n),
            _ => None,
        }
    }

    fn input_key(input: &str) -> Option<u32> {
        toy_key(input)
    }
}

/// Names of up to three bytes packed with their length: equal keys, equal names.
fn toy_key(name: &str) -> Option<u32> {
    let bytes = name.as_bytes();
    (bytes.len() <= 3).then(|| {
        bytes
            .iter()
            .fold(bytes.len() as u32, |key, &b| (key << 8) | u32::from(b))
    })
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
            Toy::Other(p) => format!("not {p}*"),
        })
        .collect()
}

// ---- reference: set-based matcher straight from the particle semantics ----

/// End offsets reachable by matching a particle from an offset, memoised per
/// (particle, offset) so nested repetitions stay polynomial.
struct Reference<'a> {
    input: &'a [&'a str],
    memo: HashMap<(*const P, usize), BTreeSet<usize>>,
}

impl Reference<'_> {
    fn ends(&mut self, p: &P, at: usize) -> BTreeSet<usize> {
        let key = (p as *const P, at);
        if let Some(hit) = self.memo.get(&key) {
            return hit.clone();
        }
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
            let mut next = BTreeSet::new();
            for &i in &current {
                next.extend(self.term_ends(&p.term, i));
            }
            if k >= p.min as usize {
                let before = result.len();
                result.extend(next.iter().copied());
                // Past the minimum, an iteration that changes nothing never will.
                if result.len() == before && next == current {
                    break;
                }
            }
            if k > p.min as usize + self.input.len() + 2 && result.is_superset(&next) {
                break;
            }
            current = next;
        }
        self.memo.insert(key, result.clone());
        result
    }

    fn term_ends(&mut self, t: &Term<Toy>, at: usize) -> BTreeSet<usize> {
        match t {
            Term::Leaf(l) => match self.input.get(at) {
                Some(i) if l.matches(i) => BTreeSet::from([at + 1]),
                _ => BTreeSet::new(),
            },
            Term::Sequence(children) => {
                let mut acc = BTreeSet::from([at]);
                for c in children {
                    let mut next = BTreeSet::new();
                    for &i in &acc {
                        next.extend(self.ends(c, i));
                    }
                    acc = next;
                }
                acc
            }
            Term::Choice(children) => {
                let mut acc = BTreeSet::new();
                for c in children {
                    acc.extend(self.ends(c, at));
                }
                acc
            }
            Term::All(children) => {
                let full = (1u32 << children.len()) - 1;
                let mut seen = BTreeSet::from([(at, 0u32)]);
                let mut queue = vec![(at, 0u32)];
                while let Some((i, mask)) = queue.pop() {
                    for (m, c) in children.iter().enumerate() {
                        if mask & (1 << m) == 0 {
                            for j in self.ends(c, i) {
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
}

fn reference_accepts(p: &P, input: &[&str]) -> bool {
    let mut reference = Reference {
        input,
        memo: HashMap::new(),
    };
    reference.ends(p, 0).contains(&input.len())
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

#[test]
fn uncountable_iterations_use_the_unrolled_engine() {
    // One particle, so UPA holds, but the outer iteration is not determined.
    let p = occ(seq(vec![occ(e("a"), 1, Some(2))]), 3, Some(4));
    check(
        p,
        &["a a a", "a a a a a a a a"],
        &["a a", "a a a a a a a a a"],
    );
    let p = occ(seq(vec![plus(e("a"))]), 2, Some(3));
    check(p, &["a a", "a a a a a a a"], &["a", ""]);
    let p = seq(vec![
        occ(seq(vec![occ(e("a"), 2, Some(3))]), 2, Some(3)),
        e("b"),
    ]);
    check(
        p,
        &["a a a a b", "a a a a a a a a a b"],
        &["a a a b", "a a a a a a a a a a b"],
    );
    // Still checked for UPA.
    assert_eq!(
        ambiguous(seq(vec![occ(seq(vec![plus(e("a"))]), 2, Some(3)), e("a")])),
        (0, 1)
    );
    // Too large to unroll: refused, not hung.
    let p = occ(seq(vec![occ(e("a"), 1, Some(2))]), 3000, Some(4000));
    assert!(matches!(
        Automaton::compile(p),
        Err(ContentModelError::TooComplex { .. })
    ));
}

// ---- randomized differential test against the reference matcher ----

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ALPHABET: [&str; 7] = ["a", "b", "c", "d", "m", "x1", "x2"];

fn random_leaf(rng: &mut Rng) -> Toy {
    match rng.below(15) {
        14 => Toy::Other("x"),
        0 => Toy::Wild("x"),
        1 => Toy::Group(vec!["b", "m"]),
        2 => Toy::Name("x1"),
        i => Toy::Name(["a", "b", "c", "d"][i % 4]),
    }
}

fn random_occurs(rng: &mut Rng, p: P) -> P {
    let (min, max) = match rng.below(20) {
        0..=7 => (1, Some(1)),
        8 | 9 => (0, Some(1)),
        10 => (0, None),
        11 => (1, None),
        12 => (2, Some(3)),
        13 => (0, Some(2)),
        14 => (3, Some(3)),
        15 => (2, None),
        16 => (1, Some(3)),
        17 => (0, Some(0)),
        _ => (1, Some(2)),
    };
    occ(p, min, max)
}

fn random_particle(rng: &mut Rng, depth: usize) -> P {
    let term = if depth >= 3 || rng.below(10) < 4 {
        Term::Leaf(random_leaf(rng))
    } else {
        let n = 1 + rng.below(3);
        let children = (0..n).map(|_| random_particle(rng, depth + 1)).collect();
        if rng.below(2) == 0 {
            Term::Sequence(children)
        } else {
            Term::Choice(children)
        }
    };
    random_occurs(rng, P::once(term))
}

fn random_model(rng: &mut Rng) -> P {
    if rng.below(12) == 0 {
        let n = 1 + rng.below(4);
        let members = (0..n)
            .map(|_| {
                let leaf = P::once(Term::Leaf(random_leaf(rng)));
                if rng.below(3) == 0 {
                    opt(leaf)
                } else {
                    leaf
                }
            })
            .collect();
        return occ(all(members), rng.below(2) as u32, Some(1));
    }
    random_particle(rng, 0)
}

/// Appends a word of `p`'s language (or gives up on an empty choice).
fn sample(rng: &mut Rng, p: &P, out: &mut Vec<&'static str>) -> bool {
    let extra = match p.max {
        MaxOccurs::Bounded(m) => m.saturating_sub(p.min).min(3),
        MaxOccurs::Unbounded => 3,
    };
    let count = p.min + rng.below(extra as usize + 1) as u32;
    (0..count).all(|_| match &p.term {
        Term::Leaf(l) => {
            out.push(match l {
                Toy::Name(n) => n,
                Toy::Group(ns) => ns[rng.below(ns.len())],
                Toy::Wild(_) => ["x1", "x2"][rng.below(2)],
                Toy::Other(_) => "a",
            });
            true
        }
        Term::Sequence(cs) => cs.iter().all(|c| sample(rng, c, out)),
        Term::Choice(cs) => {
            let pick = rng.below(cs.len().max(1));
            cs.get(pick).is_some_and(|c| sample(rng, c, out))
        }
        Term::All(cs) => {
            let mut order: Vec<&P> = cs.iter().collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            order.into_iter().all(|c| sample(rng, c, out))
        }
    })
}

fn random_inputs(rng: &mut Rng, p: &P) -> Vec<Vec<&'static str>> {
    let mut inputs = Vec::new();
    for _ in 0..25 {
        let len = rng.below(8);
        inputs.push(
            (0..len)
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect(),
        );
    }
    for _ in 0..25 {
        let mut word = Vec::new();
        // Long words make the reference slow without finding more.
        if !sample(rng, p, &mut word) || word.len() > 24 {
            continue;
        }
        inputs.push(word.clone());
        // Mutants: drop, duplicate, replace or swap one item.
        if !word.is_empty() {
            let i = rng.below(word.len());
            let mut m = word.clone();
            match rng.below(4) {
                0 => {
                    m.remove(i);
                }
                1 => m.insert(i, word[i]),
                2 => m[i] = ALPHABET[rng.below(ALPHABET.len())],
                _ => m.swap(i, rng.below(word.len())),
            }
            inputs.push(m);
        }
    }
    inputs
}

#[test]
fn random_models_agree_with_the_reference() {
    let mut rng = Rng(0x5EED_C0DE);
    let (mut compiled, mut ambiguous_models, mut unrolled_models) = (0, 0, 0);
    for round in 0..2000 {
        let p = random_model(&mut rng);
        // Both general engines on the same model: same UPA verdict.
        if let Ok((leaves, tree::Shape::General(t))) = tree::lower(p.clone()) {
            let counted = positions::PositionMachine::build(&t, &leaves);
            let unrolled = unrolled::UnrolledMachine::build(&t, &leaves);
            let counted_ambiguous = matches!(
                counted,
                Err(positions::Refusal::Invalid(
                    ContentModelError::Ambiguous { .. }
                ))
            );
            let unrolled_ambiguous = matches!(unrolled, Err(ContentModelError::Ambiguous { .. }));
            if matches!(counted, Err(positions::Refusal::Uncountable)) {
                unrolled_models += 1;
            } else if unrolled.is_ok() || unrolled_ambiguous {
                assert_eq!(
                    counted_ambiguous, unrolled_ambiguous,
                    "round {round}: UPA verdicts differ on {p:?}"
                );
            }
        }
        let automaton = match Automaton::compile(p.clone()) {
            Ok(a) => a,
            Err(ContentModelError::Ambiguous { .. }) => {
                ambiguous_models += 1;
                continue;
            }
            Err(err) => panic!("round {round}: {p:?} failed: {err}"),
        };
        compiled += 1;
        for input in random_inputs(&mut rng, &p) {
            assert_eq!(
                accepts(&automaton, &input),
                reference_accepts(&p, &input),
                "round {round}: {p:?} on {input:?}"
            );
        }
    }
    println!("compiled {compiled}, ambiguous {ambiguous_models}, unrolled {unrolled_models}");
    // The generator must exercise all outcomes.
    assert!(compiled > 1000, "{compiled} compiled");
    assert!(ambiguous_models > 300, "{ambiguous_models} ambiguous");
    assert!(unrolled_models > 50, "{unrolled_models} unrolled");
}

/// Shapes from the W3C suite (msData/modelGroups mgS*, msData/wildcards
/// wildI*, msData/particles particlesZ022) with the suite's verdicts.
#[test]
fn upa_cases_from_the_w3c_suite() {
    let other = || P::once(Term::Leaf(Toy::Other("t:")));
    let in_a = || w("A:");
    // mgS002: (a, ((b, c) | (b, d))) is invalid.
    ambiguous(seq(vec![
        e("a"),
        choice(vec![seq(vec![e("b"), e("c")]), seq(vec![e("b"), e("d")])]),
    ]));
    // mgS003: (a, ((a, b) | a)) is invalid.
    ambiguous(seq(vec![
        e("a"),
        choice(vec![seq(vec![e("a"), e("b")]), seq(vec![e("a")])]),
    ]));
    // mgS004: ((a, b) | (a | b)) is invalid.
    ambiguous(choice(vec![
        seq(vec![e("a"), e("b")]),
        choice(vec![e("a"), e("b")]),
    ]));
    // mgS005: ((a, b) | ((a, b) | b)) is invalid.
    ambiguous(choice(vec![
        seq(vec![e("a"), e("b")]),
        choice(vec![seq(vec![e("a"), e("b")]), e("b")]),
    ]));
    // wildI011, wildI012: (##other, A) and (##other, A{1,2}) are valid.
    compile(seq(vec![other(), in_a()]));
    compile(seq(vec![other(), occ(in_a(), 1, Some(2))]));
    // wildI013: (##other{1,2}, A){1,10} is invalid.
    ambiguous(occ(
        seq(vec![occ(other(), 1, Some(2)), in_a()]),
        1,
        Some(10),
    ));
    // wildI014: (A, ##other{1,2}, A){1,10} is invalid.
    ambiguous(occ(
        seq(vec![in_a(), occ(other(), 1, Some(2)), in_a()]),
        1,
        Some(10),
    ));
    // Wildcards_w3c: (##other | ##local) in a choice is valid; (##other | A) is not.
    compile(choice(vec![other(), w("t:")]));
    ambiguous(choice(vec![other(), in_a()]));
    // particlesZ022: (bar | any other-namespace)* is valid on its own.
    compile(star(choice(vec![e("t:bar"), w("urn:other:")])));
}
#[test]
fn wide_models_compile_and_run() {
    let names: Vec<String> = (0..1000).map(|i| format!("n{i}")).collect();
    let leaf = |n: &String| {
        P::once(Term::Leaf(Toy::Group(vec![Box::leak(
            n.clone().into_boxed_str(),
        )])))
    };
    let a = compile(star(choice(names.iter().map(leaf).collect())));
    let mut state = a.start();
    for i in 0..5000 {
        assert_eq!(
            a.step(&mut state, &names[i * 7 % 1000]),
            Ok(LeafId((i * 7 % 1000) as u32))
        );
    }
    assert!(a.step(&mut state, "n1000").is_err());
    let b = compile(seq(names.iter().map(|n| opt(leaf(n))).collect()));
    let mut state = b.start();
    assert!(b.step(&mut state, "n500").is_ok());
    assert_eq!(b.expected(&state).len(), 499);
    assert!(b.step(&mut state, "n499").is_err());
}
